"""Concurrent manifest updates (thumbnail vs job completion, separate Lambdas on AWS) never lose
each other's fields: updates are compare-and-swap writes."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from avpipe.manifest import Manifest, Status, load_manifest, save_manifest, update_manifest
from avpipe.storage import LocalStore, Store


def make(store: Store) -> None:
    save_manifest(store, Manifest(name="a", kind="video", status=Status.PROCESSING,
                                  created_at="2026-01-01T00:00:00.000Z", updated_at="2026-01-01T00:00:00.000Z"))


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_concurrent_updates_all_land(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "s3":
        from avpipe.storage.s3 import S3Store

        from moto_server import client, new_bucket

        endpoint = request.getfixturevalue("moto_endpoint")
        store: Store = S3Store(f"s3://{new_bucket(endpoint)}", client(endpoint, "s3"))
    else:
        store = LocalStore(tmp_path)
    make(store)
    barrier = threading.Barrier(8)

    def add_warning(index: int) -> None:
        barrier.wait()
        update_manifest(store, "a", lambda m: replace(m, warnings=(*m.warnings, f"w{index}")))

    threads = [threading.Thread(target=add_warning, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    manifest = load_manifest(store, "a")
    assert manifest is not None and sorted(manifest.warnings) == sorted(f"w{i}" for i in range(8))


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    make(store)
    before = store.stat("json/a.json").etag
    assert update_manifest(store, "a", lambda m: None) is None
    assert update_manifest(store, "missing", lambda m: m) is None
    assert store.stat("json/a.json").etag == before
