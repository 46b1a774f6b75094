"""Making a finished job's outputs public, and retiring what an earlier upload of the same
name left that the new one does not replace."""

from __future__ import annotations

import logging
import posixpath
import re
from dataclasses import replace

from avpipe.keys import AUDIOVIDEO, STAGING, AssetKeys, published_key
from avpipe.manifest.model import OutputEntry
from avpipe.manifest.output_facts import describe_output
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import JobOutput
from avpipe.storage.registry import locate

log = logging.getLogger(__name__)
_RUNG = re.compile(r"_(\d+)p\.mp4$")


def publish_output(ctx: PipelineContext, output: JobOutput) -> OutputEntry:
    """Move one finished output from ``staging/`` to its public name (a re-delivered event
    finds it published already)."""
    _, staged = locate(output.uri, [ctx.public])
    key = published_key(staged) if staged.startswith(STAGING) else staged
    if key != staged and ctx.public.exists(staged):
        ctx.public.move(staged, key)  # a rename locally; a server-side copy and delete on S3
        log.info("published %s", key)
    match = _RUNG.search(key)
    kind = "audio" if posixpath.splitext(key)[1] in (".mp3", ".m4a") else "rendition"
    entry = OutputEntry(key=key, kind=kind, rung=int(match.group(1)) if match else None,
                        width=output.width, height=output.height)
    duration = output.duration_ms / 1000 if output.duration_ms else None
    return described(ctx, entry, duration_s=duration)


def described(ctx: PipelineContext, entry: OutputEntry, *, sha256: str | None = None,
              duration_s: float | None = None) -> OutputEntry:
    """``entry`` with what the public store vouches for (size, digest) and what a player needs
    (codecs, measured bitrates). ``sha256``: the digest of the bytes, when the caller knows it."""
    try:
        record = ctx.public.fingerprint(entry.key, sha256)
    except FileNotFoundError:  # listed by the job but not there: verify will say so; nothing to record
        log.warning("%s is not in the public store; no size or digest recorded", entry.key)
        return entry
    facts = describe_output(ctx.public, entry.key, record.size, duration_s)
    return replace(entry, file=record, codecs=facts.codecs, bitrate=facts.bitrate,
                   video_bitrate=facts.video_bitrate, audio_bitrate=facts.audio_bitrate)


def retire_previous(
    ctx: PipelineContext, keys: AssetKeys, old: tuple[OutputEntry, ...], new: tuple[OutputEntry, ...], kind: str
) -> None:
    """Remove an earlier upload's outputs the new one lacks: renditions it no longer has, and
    the thumbnail when the asset is no longer a video."""
    keep = {entry.key for entry in new}
    for entry in old:
        if entry.key not in keep and entry.key.startswith(AUDIOVIDEO):
            ctx.public.delete(entry.key)
            log.info("removed %s, which the new upload no longer has", entry.key)
    if kind != "video" and ctx.public.exists(keys.thumbnail):
        ctx.public.delete(keys.thumbnail)
        log.info("removed %s: %s is no longer a video", keys.thumbnail, keys.name)
