"""The original's SHA-256 as the asset's content identity.

A re-upload whose bytes are those of the asset's published original is recognised before
anything is encoded: the manifest's history records it and the outputs stay as they are.
Locally the upload is read once to hash it (the original is then a copy of it, so its
digest is known without reading it again). On S3 no bytes are read: the check uses the
SHA-256 checksum S3 keeps for the upload when the uploader asked for one
(``aws s3 cp --checksum-algorithm SHA256``); without one the upload is processed as usual.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from avpipe.keys import AssetKeys
from avpipe.manifest.model import Manifest, Status, iso
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.storage.base import Store

log = logging.getLogger(__name__)


def upload_digest(watch: Store, key: str) -> str | None:
    """The upload's SHA-256 (hex), or None when the store cannot vouch for one without a download."""
    return watch.fingerprint(key).sha256


def unchanged_original(public: Store, keys: AssetKeys, kind: str, digest: str | None) -> Manifest | None:
    """The asset's complete manifest when its published original has exactly these bytes."""
    if digest is None:
        return None
    current = load_manifest(public, keys.name)
    if current is None or current.status is not Status.COMPLETE or current.kind != kind:
        return None
    record = current.original_file
    if current.original != keys.original or record is None or record.sha256 != digest:
        return None
    return current if public.exists(keys.original) else None


def record_identical(public: Store, current: Manifest, keys: AssetKeys, digest: str, version: str | None,
                     at: datetime) -> Manifest:
    """Say in the history that an identical upload arrived and was not re-encoded."""
    message = f"re-upload of {keys.input_key} has the same bytes as the published original " \
              f"(sha256 {digest[:16]}…); not re-encoded"
    event = {"at": iso(at), "status": str(Status.COMPLETE), "message": message}
    log.info("upload %s: identical to the published original; not re-encoded", keys.input_key)
    updated = update_manifest(public, keys.name, lambda m: replace(
        m, source_version=version or m.source_version, updated_at=iso(at), history=(*m.history, event)))
    return updated or current


def record_original(watch: Store, public: Store, keys: AssetKeys, digest: str | None,
                    version: str | None) -> Manifest | None:
    """Record the copied original's size and digest (``digest``: the upload's, it is a copy of it,
    as long as the upload is still the ``version`` that was hashed; else the copy is read)."""
    try:
        unchanged = version is not None and watch.stat(keys.input_key).etag == version
    except FileNotFoundError:
        unchanged = False
    record = public.fingerprint(keys.original, digest if unchanged else None)
    return update_manifest(public, keys.name, lambda m: replace(m, original_file=record)
                           if m.source == keys.input_key else None)
