"""One contract every storage backend must meet. The AWS issue adds S3 (moto) to STORES."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from avpipe.storage import LocalStore, Store, open_store

StoreFactory = Callable[[pytest.FixtureRequest, Path], Store]


def _s3_store(request: pytest.FixtureRequest, tmp: Path) -> Store:
    """A fresh bucket on moto's HTTP server (under a prefix, to cover prefixed stores too)."""
    from moto_server import client, new_bucket

    from avpipe.storage.s3 import S3Store

    endpoint = request.getfixturevalue("moto_endpoint")
    return S3Store(f"s3://{new_bucket(endpoint)}/some prefix", client(endpoint, "s3"))


STORES: dict[str, StoreFactory] = {
    "local": lambda _request, tmp: LocalStore(tmp / "bucket"),
    "s3": _s3_store,
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return STORES[request.param](request, tmp_path)


def test_put_read_stat_delete(store: Store) -> None:
    store.put("inputs/a b/é.txt", b"hello world")
    assert store.read_bytes("inputs/a b/é.txt") == b"hello world"
    assert store.read_bytes("inputs/a b/é.txt", 6, 3) == b"wor"
    info = store.stat("inputs/a b/é.txt")
    assert info.size == 11 and info.key == "inputs/a b/é.txt" and info.etag
    store.delete("inputs/a b/é.txt")
    assert not store.exists("inputs/a b/é.txt")
    store.delete("inputs/a b/é.txt")  # deleting twice is fine


def test_missing_keys_raise_file_not_found(store: Store) -> None:
    with pytest.raises(FileNotFoundError):
        store.stat("nope")
    with pytest.raises(FileNotFoundError):
        store.read_bytes("nope")


def test_overwrite_changes_version(store: Store) -> None:
    store.put("k", b"one")
    first = store.stat("k").etag
    store.put("k", b"two!")
    assert store.read_bytes("k") == b"two!" and store.stat("k").etag != first


def test_list_by_prefix_in_key_order(store: Store) -> None:
    for key in ["inputs/b.mp4", "inputs/a.mp4", "inputs/sub/c.mp4", "public/x"]:
        store.put(key, b"x")
    assert [i.key for i in store.list("inputs/")] == ["inputs/a.mp4", "inputs/b.mp4", "inputs/sub/c.mp4"]


def test_put_from_file_and_copy_between_stores(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    store.put("big.bin", source)
    other = LocalStore(tmp_path / "other")
    store.copy_to("big.bin", other, "copy/big.bin")
    assert other.read_bytes("copy/big.bin") == source.read_bytes()
    with store.local_file("big.bin") as path:
        assert Path(path).read_bytes() == source.read_bytes()
    out = io.BytesIO()
    store.download("big.bin", out)
    assert out.getvalue() == source.read_bytes()


def test_uri_round_trips_to_key(store: Store) -> None:
    store.put("audiovideo/x y/é.mp4", b"x")
    assert store.key_for_uri(store.uri("audiovideo/x y/é.mp4")) == "audiovideo/x y/é.mp4"
    assert store.key_for_uri("s3://somewhere-else/x") is None


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b"])
def test_keys_cannot_escape(store: Store, key: str) -> None:
    with pytest.raises(Exception) as info:
        store.put(key, b"x")
    assert not isinstance(info.value, FileNotFoundError)


def test_local_writes_are_atomic_and_hide_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    store.put("a/x.bin", b"1" * 10)
    leftovers = [p.name for p in (tmp_path / "b" / "a").iterdir()]
    assert leftovers == ["x.bin"]


def test_registry_opens_paths_and_file_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store((tmp_path / "x y").as_uri()), LocalStore)
    assert open_store((tmp_path / "x y").as_uri()).url == str(tmp_path / "x y")
