"""The seed's SaveVideoFrame: when an original arrives, grab a JPG frame for the thumbnail."""

from __future__ import annotations

import logging
import os
import posixpath
import tempfile
from dataclasses import replace
from pathlib import Path

from avpipe.errors import AvpipeError, BadInputError
from avpipe.keys import ORIGINAL, THUMBNAIL
from avpipe.manifest.model import Manifest
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import ObjectCreated
from avpipe.planning.bounds import thumbnail_budget_s
from avpipe.planning.thumbnail import thumbnail_args, thumbnail_moment, thumbnail_size

log = logging.getLogger(__name__)


def save_video_frame(ctx: PipelineContext, event: ObjectCreated) -> Manifest | None:
    """Write ``thumbnail/<name>.jpg`` for a video original; other originals are skipped."""
    name = posixpath.splitext(event.key[len(ORIGINAL):])[0]
    manifest = load_manifest(ctx.public, name)
    if manifest is None or manifest.original != event.key or manifest.kind != "video" or not manifest.media:
        log.debug("no thumbnail for %s (not a video original)", event.key)
        return None
    key = f"{THUMBNAIL}{name}.jpg"
    try:
        _grab(ctx, event.key, key, manifest.media)
    except AvpipeError as exc:
        log.warning("thumbnail for %s failed: %s", event.key, exc)
        warning = f"Thumbnail: {exc}"
        return update_manifest(ctx.public, name, lambda m: replace(m, warnings=(*m.warnings, warning)))
    log.info("thumbnail %s written", key)
    record = ctx.public.fingerprint(key)  # a few KB
    return update_manifest(ctx.public, name, lambda m: replace(m, thumbnail=key, thumbnail_file=record)
                           if m.original == event.key else None)


def _grab(ctx: PipelineContext, original_key: str, thumbnail_key: str, media: dict[str, object]) -> None:
    video = media.get("video")
    if not isinstance(video, dict):
        raise BadInputError("The manifest has no video facts to size the thumbnail.")
    width, height = thumbnail_size(int(video["display_width"]), int(video["display_height"]))
    duration = media.get("duration_s")
    at = thumbnail_moment(video, float(duration) if isinstance(duration, (int, float)) else None,
                          ctx.settings.thumbnail_seconds)
    with ctx.public.readable(original_key) as source, tempfile.TemporaryDirectory(prefix="avpipe-frame-") as tmp:
        output = os.path.join(tmp, "frame.jpg")
        for accurate in (False, True):  # a fast seek first; when it yields nothing, decode up to the moment
            ctx.runner.run(thumbnail_args(source, output, at, width, height, accurate=accurate),
                           timeout_s=thumbnail_budget_s(at))
            if os.path.exists(output) and os.path.getsize(output) > 0:
                ctx.public.put(thumbnail_key, Path(output), content_type="image/jpeg")
                return
            log.info("no frame from a %s seek to %.3f s in %s", "accurate" if accurate else "fast", at, original_key)
    raise BadInputError(f"No video frame could be decoded at {at:g} s for the thumbnail.")
