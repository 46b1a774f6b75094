"""Making a finished job's outputs public, and retiring what an earlier upload of the same
name left that the new one does not replace."""

from __future__ import annotations

import logging
import posixpath
import re
from dataclasses import replace

from avpipe.errors import UploadChangedError
from avpipe.keys import AUDIOVIDEO, STAGING, AssetKeys, published_key
from avpipe.manifest.model import Manifest, OutputEntry
from avpipe.manifest.output_facts import describe_output
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import JobOutput
from avpipe.planning.preview import NAME_MODIFIER as PREVIEW_MODIFIER
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


def check_unchanged(ctx: PipelineContext, input_key: str, version: str | None) -> None:
    """Before publishing: the upload must still be the version that was processed (a copy that
    went on after it looked finished, or a re-upload, makes the outputs stale). A removed upload
    has not changed."""
    if version is None:
        return
    try:
        current = ctx.watch.stat(input_key).etag
    except FileNotFoundError:
        return
    if current != version.split("#", 1)[0]:
        raise UploadChangedError("The upload changed while it was processed; its new version is processed next.")


def remove_upload(ctx: PipelineContext, input_key: str, version: str | None) -> None:
    """Remove a processed upload from ``inputs/`` only while it is still that version
    (compare-and-delete): a re-upload that arrived meanwhile stays and is processed next."""
    if version is None:
        log.warning("upload %s has no version to compare; kept in the watch area", input_key)
    elif ctx.watch.delete_if(input_key, version):
        log.info("upload %s done; removed from the watch area", input_key)
    elif ctx.watch.exists(input_key):
        log.info("upload %s was replaced while it was processed; the new version stays", input_key)


def retire_original(ctx: PipelineContext, previous: Manifest | None, current: str) -> None:
    """An asset's earlier original under another extension (``a.mp4`` replaced by ``a.mov``)
    goes once the replacement's original is stored: nothing refers to it any more. A caption
    file's original stays (the captions attached to the asset keep it as their source)."""
    if previous is None or previous.original is None or previous.original == current:
        return
    if previous.kind == "caption" or previous.original in {caption.source for caption in previous.captions}:
        return
    if ctx.public.exists(previous.original):
        ctx.public.delete(previous.original)
        log.info("removed %s, replaced by %s", previous.original, current)


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


def retire_preview(ctx: PipelineContext, keys: AssetKeys) -> None:
    """Remove the asset's preview file, if there is one (the ladder is published, or failed)."""
    key = keys.rendition(PREVIEW_MODIFIER)
    if ctx.public.exists(key):
        ctx.public.delete(key)
        log.info("removed the preview %s", key)
