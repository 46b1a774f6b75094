"""Rerunning an asset: from the upload kept in ``inputs/``, else from its ``original/``."""

from __future__ import annotations

import logging
import posixpath
from pathlib import Path

from avpipe.errors import BadInputError
from avpipe.keys import INPUTS, ORIGINAL, AssetKeys
from avpipe.manifest.model import Manifest, Status
from avpipe.manifest.repository import load_manifest
from avpipe.storage.base import Store

log = logging.getLogger(__name__)


class AlreadyComplete(BadInputError):
    """A retry of an asset that is complete; re-encoding it must be asked for explicitly."""


def check_retryable(public: Store, name: str, *, force: bool = False) -> None:
    """Refuse to rerun a complete asset unless ``force`` (a retry is for failed or stuck ones)."""
    manifest = load_manifest(public, name)
    if manifest is not None and manifest.status is Status.COMPLETE and not force:
        raise AlreadyComplete("It is already complete; use --force to process it again.")


def retry_source(watch: Store, public: Store, name: str, *, new_version: bool = False) -> str:
    """Make sure the asset's upload is in ``inputs/`` again and return its key.

    With ``new_version`` a kept upload is rewritten, so watchers (which process each
    upload version once) take it again; otherwise the caller forces the retry itself.
    """
    manifest = load_manifest(public, name)
    if manifest is None:
        raise BadInputError(f"There is no asset named {name!r}.")
    if manifest.source and watch.exists(manifest.source):
        if new_version:
            with watch.local_file(manifest.source) as path:
                watch.put(manifest.source, Path(path))
        return manifest.source
    original = _original_key(manifest)
    if original is None or not public.exists(original):
        raise BadInputError(f"Neither the upload nor the original of {name!r} is kept; upload it again.")
    source = manifest.source or INPUTS + original[len(ORIGINAL) :]
    AssetKeys.for_input(source)  # still a valid upload key
    public.copy_to(original, watch, source)
    log.info("retry %s: restored %s from %s", name, source, original)
    return source


def _original_key(manifest: Manifest) -> str | None:
    if manifest.original:
        return manifest.original
    if manifest.source:
        return ORIGINAL + posixpath.relpath(manifest.source, INPUTS.rstrip("/"))
    return None
