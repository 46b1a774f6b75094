"""Deleting an asset: every output, the thumbnail, captions, the original, the manifest, the
kept upload and its claim, on any store (local or S3)."""

from __future__ import annotations

import logging

from avpipe.keys import INPUTS, check_key, manifest_key
from avpipe.manifest.model import Status
from avpipe.manifest.repository import load_manifest
from avpipe.pipeline.claims import claim_key
from avpipe.storage.base import Store
from avpipe.web.uploads import UploadConflict
from avpipe.web.worker import AssetNotFound

log = logging.getLogger(__name__)


def delete_asset(watch: Store, public: Store, name: str) -> list[str]:
    """Remove the asset ``name``; the keys removed. A processing asset is refused (409)."""
    check_key(name)
    manifest = load_manifest(public, name)
    if manifest is None:
        raise AssetNotFound(name)
    if manifest.status is Status.PROCESSING:
        raise UploadConflict(f"{name} is being processed; delete it once it has finished.")
    public_keys = [o.key for o in manifest.outputs] + [c.key for c in manifest.captions if c.key]
    public_keys += [k for k in (manifest.thumbnail, manifest.original) if k]
    watch_keys = [k for k in (manifest.source,) if k and k.startswith(INPUTS)]
    if manifest.source and manifest.source_version:
        watch_keys.append(claim_key(manifest.source, manifest.source_version))
    removed = []
    for store, keys in ((watch, watch_keys), (public, public_keys)):
        for key in keys:
            if store.exists(key):
                store.delete(key)
                removed.append(key)
    public.delete(manifest_key(name))  # last: until then the asset is still listed and can be deleted again
    removed.append(manifest_key(name))
    log.info("asset %s deleted (%d objects)", name, len(removed))
    return removed
