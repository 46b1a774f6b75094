"""Recording a failed step in the asset manifest: status, category and one clear sentence."""

from __future__ import annotations

import logging
from typing import Any

from avpipe.errors import AvpipeError, category_of
from avpipe.keys import AssetKeys
from avpipe.manifest.model import ErrorInfo, Manifest, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.publish import retire_preview

log = logging.getLogger(__name__)


def reason_of(exc: BaseException) -> str:
    """One sentence for a person; unexpected exceptions do not leak their internals."""
    if isinstance(exc, AvpipeError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"A storage operation failed: {exc.strerror or type(exc).__name__}."
    return f"An internal error occurred ({type(exc).__name__})."


def record_failure(
    ctx: PipelineContext, keys: AssetKeys, kind: str, exc: BaseException, step: str,
    media: dict[str, Any] | None = None, *, version: str | None = None, attempts: int = 1,
) -> Manifest:
    """Mark the asset failed; the upload stays in ``inputs/`` for inspection and retry."""
    now = ctx.clock()
    reason = reason_of(exc)
    log.info("%s failed at %s: %s", keys.input_key, step, reason)  # the runtime reports the outcome once
    previous = load_manifest(ctx.public, keys.name)
    base = previous if previous is not None and previous.source == keys.input_key else None
    if base is None:
        base = Manifest(name=keys.name, kind=kind, status=Status.PROCESSING, created_at=iso(now),
                        updated_at=iso(now), source=keys.input_key,
                        captions=previous.captions if previous else ())
    failed = base.moved_to(Status.FAILED, now, f"{step} failed", kind=kind,
                           error=ErrorInfo(category_of(exc), reason, step),
                           media=media if media is not None else base.media,
                           source_version=version or base.source_version, attempts=attempts)
    save_manifest(ctx.public, failed)
    if base.preview is not None:
        retire_preview(ctx, keys)
    return failed
