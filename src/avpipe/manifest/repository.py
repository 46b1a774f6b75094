"""Reading and writing manifests in the public store."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable

from avpipe.errors import TransientError
from avpipe.keys import JSON, manifest_key
from avpipe.manifest.model import Manifest
from avpipe.storage.base import Store

log = logging.getLogger(__name__)
CAS_ATTEMPTS = 16


def load_manifest(store: Store, name: str) -> Manifest | None:
    """The manifest of asset ``name``, or None if there is none (or it is unreadable)."""
    return read_manifest(store, manifest_key(name))


def read_manifest(store: Store, key: str) -> Manifest | None:
    """The manifest stored at ``key``; None when it is missing or unreadable (logged)."""
    try:
        return Manifest.from_dict(json.loads(store.read_bytes(key)))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("manifest %s is unreadable and will be replaced: %s", key, exc)
        return None


def save_manifest(store: Store, manifest: Manifest) -> None:
    body = _encode(manifest)
    store.put(manifest_key(manifest.name), body, content_type="application/json")
    log.info("manifest %s: %s", manifest.name, manifest.status)


def update_manifest(store: Store, name: str, change: Callable[[Manifest], Manifest | None]) -> Manifest | None:
    """Apply ``change`` to the current manifest of ``name`` with a compare-and-swap write.

    Concurrent steps (the thumbnail and the job completion run in different Lambdas) never
    overwrite each other's fields: if the manifest changed since it was read, ``change`` is
    applied again to the newer one. ``change`` returning None means "leave it as it is".
    """
    key = manifest_key(name)
    for _ in range(CAS_ATTEMPTS):
        try:
            version = store.stat(key).etag
        except FileNotFoundError:
            return None
        current = read_manifest(store, key)
        if current is None:
            return None
        updated = change(current)
        if updated is None or updated == current:
            return updated
        if store.put_if(key, _encode(updated), version=version):
            log.info("manifest %s: %s", updated.name, updated.status)
            return updated
        log.debug("manifest %s changed meanwhile; applying the update again", name)
        time.sleep(random.uniform(0, 0.02))  # let the other writer finish before reading again
    raise TransientError(f"The manifest of {name} kept changing; the update was not saved.")


def _encode(manifest: Manifest) -> bytes:
    return json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")


def list_manifests(store: Store, status: str | None = None) -> list[Manifest]:
    """Every readable manifest in the store (optionally only those in ``status``), by name."""
    found = []
    for info in store.list(JSON):
        if not info.key.endswith(".json"):
            continue
        manifest = read_manifest(store, info.key)
        if manifest is not None and (status is None or str(manifest.status) == status):
            found.append(manifest)
    return sorted(found, key=lambda m: m.name)
