"""Caption uploads: convert to WebVTT and attach to the asset of the same name."""

from __future__ import annotations

import logging
from collections.abc import Callable

from avpipe.captions import (
    DEFAULT_MAX_CAPTION_BYTES,
    CaptionConversion,
    VttTrack,
    convert_isolated,
    decode_caption_bytes,
    detect_caption_format,
)
from avpipe.captions.language import UNDETERMINED
from avpipe.errors import AvpipeError, CaptionError
from avpipe.keys import CLOSED_CAPTION, AssetKeys, is_language_suffix
from avpipe.manifest.model import CaptionEntry, Manifest, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.publish import check_unchanged
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


def convert_caption_upload(ctx: PipelineContext, keys: AssetKeys, version: str | None = None) -> tuple[Manifest, bool]:
    """Write ``closed-caption/<name>[.<lang>].vtt`` and list it in the asset's manifest; True if converted.

    A caption file that fails to convert fails on its own: when it belongs to another
    asset (a video of the same name), only its caption entry says so; the upload stays.
    """
    existing = load_manifest(ctx.public, keys.name)
    try:
        conversion = _convert(ctx.watch, keys.input_key, ctx.settings.caption_timeout_s)
        planned = _plan_keys(ctx, keys, conversion)
    except CaptionError as exc:
        if existing is None or existing.kind == "caption":
            raise
        # the asset itself is fine; only this caption file failed
        entry = CaptionEntry(source=keys.input_key, status="failed", reason=str(exc))
        log.info("captions %s failed: %s", keys.input_key, exc)  # reported once by the runtime
        updated = existing.with_caption(entry, ctx.clock())
        save_manifest(ctx.public, updated)
        return updated, False
    check_unchanged(ctx, keys.input_key, version)  # a copy still going on, or a re-upload: not published
    ctx.watch.copy_to(keys.input_key, ctx.public, keys.original)
    original = ctx.public.fingerprint(keys.original)  # size-bounded: a caption file
    entries = _publish(ctx, keys, conversion, planned)
    manifest = _attach(ctx, keys, existing, entries, original)
    return manifest, True  # the caller removes the upload if it is still the version converted


def _convert(store: Store, key: str, timeout_s: float) -> CaptionConversion:
    size = store.stat(key).size
    if size > MAX_CAPTION_BYTES:
        raise CaptionError(f"The caption file is {size} bytes; the limit is {MAX_CAPTION_BYTES}.")
    return convert_isolated(store.read_bytes(key), timeout_s=timeout_s, max_bytes=MAX_CAPTION_BYTES)


def caption_keys(keys: AssetKeys, conversion: CaptionConversion) -> list[str]:
    """``name.vtt`` for a file with one track; ``name.<lang>.vtt`` (``und`` if undeclared) for several."""
    if len(conversion.tracks) == 1:
        return [keys.caption(None)]
    return [keys.caption(track.language or UNDETERMINED) for track in conversion.tracks]


def other_owner(key: str, name: str) -> str | None:
    """The one other asset whose captions could have the key ``key`` (``name``'s own), if any.

    ``closed-caption/talk.fr.vtt`` is both the French track of ``talk`` and the only
    track of ``talk.fr``: language tags hold no ``.``, so there is never a third.
    """
    stem = key[len(CLOSED_CAPTION) : -len(".vtt")]
    if stem != name:
        return stem  # a language track of `name`: the single track of the asset `stem`
    base, dot, suffix = stem.rpartition(".")
    return base if dot and is_language_suffix(suffix) and base and not base.endswith("/") else None


def _plan_keys(ctx: PipelineContext, keys: AssetKeys, conversion: CaptionConversion) -> list[str]:
    """The keys to publish; CaptionError if one of them holds another asset's captions."""
    planned = caption_keys(keys, conversion)
    for key in planned:
        owner = other_owner(key, keys.name)
        manifest = load_manifest(ctx.public, owner) if owner else None
        if manifest is not None and any(c.key == key for c in manifest.captions):
            raise CaptionError(
                f"The captions would be published as {key}, which holds the captions of the asset "
                f"{owner}; rename one of the two uploads."
            )
    return planned


def _publish(ctx: PipelineContext, keys: AssetKeys, conversion: CaptionConversion,
             planned: list[str]) -> list[CaptionEntry]:
    entries = []
    for track, key in zip(conversion.tracks, planned, strict=True):
        data = track.text.encode("utf-8")
        ctx.public.put(key, data, content_type="text/vtt; charset=utf-8")
        log.info("captions %s: %d cue(s) -> %s", keys.input_key, track.cue_count, key)
        entries.append(_entry(ctx, keys, conversion, track, key, data))
    return entries


def _entry(ctx: PipelineContext, keys: AssetKeys, conversion: CaptionConversion, track: VttTrack,
           key: str, data: bytes) -> CaptionEntry:
    return CaptionEntry(source=keys.original, status="complete", key=key,
                        language=track.language or UNDETERMINED, format=conversion.format.value,
                        cues=track.cue_count, file=ctx.public.fingerprint(key, sha256_bytes(data)))


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
