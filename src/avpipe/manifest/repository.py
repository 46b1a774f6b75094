"""Reading and writing manifests in the public store."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from avpipe.keys import JSON, manifest_key
from avpipe.manifest.model import Manifest
from avpipe.storage.base import Store

log = logging.getLogger(__name__)


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
    body = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
    store.put(manifest_key(manifest.name), body, content_type="application/json")
    log.info("manifest %s: %s", manifest.name, manifest.status)


def update_manifest(store: Store, name: str, change: Callable[[Manifest], Manifest | None]) -> Manifest | None:
    """Load the freshest manifest of ``name``, apply ``change``, save the result if there is one.

    Re-reading right before writing keeps concurrent steps (thumbnail, job completion)
    from overwriting each other's fields with stale copies.
    """
    current = load_manifest(store, name)
    if current is None:
        return None
    updated = change(current)
    if updated is not None and updated != current:
        save_manifest(store, updated)
    return updated


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
