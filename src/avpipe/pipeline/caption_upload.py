"""Caption uploads: convert to WebVTT and attach to the asset of the same name."""

from __future__ import annotations

import logging
from collections.abc import Callable

from avpipe.captions import (
    DEFAULT_MAX_CAPTION_BYTES,
    CaptionConversion,
    convert_to_webvtt,
    decode_caption_bytes,
    detect_caption_format,
)
from avpipe.errors import AvpipeError, CaptionError
from avpipe.keys import AssetKeys
from avpipe.manifest.model import CaptionEntry, Manifest, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.storage.base import Store
from avpipe.storage.fingerprint import Fingerprint, sha256_bytes

log = logging.getLogger(__name__)
MAX_CAPTION_BYTES = DEFAULT_MAX_CAPTION_BYTES
SNIFF_BYTES = 64 * 1024


def looks_like_captions(size: int | None, head: Callable[[], bytes]) -> bool:
    """True when a file MediaInfo could not place reads as a caption format."""
    if size is not None and size > MAX_CAPTION_BYTES:
        return False
    try:
        detect_caption_format(decode_caption_bytes(head()))
    except (AvpipeError, OSError):
        return False
    return True


def convert_caption_upload(ctx: PipelineContext, keys: AssetKeys) -> tuple[Manifest, bool]:
    """Write ``closed-caption/<name>[.<lang>].vtt`` and list it in the asset's manifest; True if converted.

    A caption file that fails to convert fails on its own: when it belongs to another
    asset (a video of the same name), only its caption entry says so; the upload stays.
    """
    existing = load_manifest(ctx.public, keys.name)
    try:
        conversion = _convert(ctx.watch, keys.input_key)
    except CaptionError as exc:
        if existing is None or existing.kind == "caption":
            raise
        # the asset itself is fine; only this caption file failed
        entry = CaptionEntry(source=keys.input_key, status="failed", reason=str(exc))
        log.info("captions %s failed: %s", keys.input_key, exc)  # reported once by the runtime
        updated = existing.with_caption(entry, ctx.clock())
        save_manifest(ctx.public, updated)
        return updated, False
    ctx.watch.copy_to(keys.input_key, ctx.public, keys.original)
    original = ctx.public.fingerprint(keys.original)  # size-bounded: a caption file
    entries = _publish(ctx, keys, conversion)
    manifest = _attach(ctx, keys, existing, entries, original)
    return manifest, True  # the caller removes the upload if it is still the version converted


def _convert(store: Store, key: str) -> CaptionConversion:
    size = store.stat(key).size
    if size > MAX_CAPTION_BYTES:
        raise CaptionError(f"The caption file is {size} bytes; the limit is {MAX_CAPTION_BYTES}.")
    return convert_to_webvtt(store.read_bytes(key))


def _publish(ctx: PipelineContext, keys: AssetKeys, conversion: CaptionConversion) -> list[CaptionEntry]:
    several = len(conversion.tracks) > 1
    entries = []
    for track in conversion.tracks:
        key = keys.caption(track.language if several else None)
        data = track.text.encode("utf-8")
        ctx.public.put(key, data, content_type="text/vtt; charset=utf-8")
        log.info("captions %s: %d cue(s) -> %s", keys.input_key, track.cue_count, key)
        entries.append(CaptionEntry(source=keys.original, status="complete", key=key, language=track.language,
                                    format=conversion.format.value, cues=track.cue_count,
                                    file=ctx.public.fingerprint(key, sha256_bytes(data))))
    return entries


def _attach(ctx: PipelineContext, keys: AssetKeys, existing: Manifest | None, entries: list[CaptionEntry],
            original: Fingerprint | None = None) -> Manifest:
    now = ctx.clock()
    if existing is None or existing.kind in ("caption", "unsupported"):
        stamp = iso(now)
        existing = Manifest(name=keys.name, kind="caption", status=Status.PROCESSING, created_at=stamp,
                            updated_at=stamp, source=keys.input_key, original=keys.original,
                            original_file=original)
        manifest = existing.moved_to(Status.COMPLETE, now, "captions converted to WebVTT")
    else:
        manifest = existing
    for entry in entries:
        manifest = manifest.with_caption(entry, now)
    save_manifest(ctx.public, manifest)
    return manifest
