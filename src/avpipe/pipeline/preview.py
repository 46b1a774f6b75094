"""The preview job: submitted before the ladder, published when it completes, removed after.

See :mod:`avpipe.planning.preview` for what the preview is. A preview is a convenience: its
failure never fails the upload (the ladder still runs), and it is only published while the
asset is still ``processing`` the same upload; the ladder's completion or failure removes it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from avpipe.errors import AvpipeError
from avpipe.keys import STAGING, AssetKeys
from avpipe.manifest.model import Manifest, Status, iso
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import JobStateChange
from avpipe.pipeline.failures import reason_of
from avpipe.pipeline.publish import check_unchanged, publish_output, retire_preview
from avpipe.planning.asset import AssetPlan
from avpipe.planning.preview import preview_mode
from avpipe.storage.registry import locate

log = logging.getLogger(__name__)


def submit_preview(ctx: PipelineContext, plan: AssetPlan, read_version: str | None) -> None:
    """Start the plan's preview job (if it has one); a failure to start it is only logged."""
    if plan.preview_job is None:
        return
    request = plan.preview_job
    if read_version is not None:  # its completion compares the upload's version, as the ladder's does
        request = {**request, "UserMetadata": {**request["UserMetadata"], "version": read_version}}
    try:
        job_id = ctx.transcoder.submit(request)
    except (AvpipeError, OSError) as exc:  # the ladder is what matters; the preview is extra
        log.warning("upload %s: no preview (%s)", plan.keys.input_key, reason_of(exc))
        return
    log.info("upload %s: preview job %s (%s) submitted", plan.keys.input_key, job_id,
             preview_mode(request["UserMetadata"]))


def preview_state_change(ctx: PipelineContext, event: JobStateChange) -> Manifest | None:
    """Publish a finished preview while its asset still processes the same upload; else discard it."""
    name = event.user_metadata["asset"]
    manifest = load_manifest(ctx.public, name)
    if event.status == "ERROR":
        log.warning("the preview of %s failed (%s); the ladder goes on", name, event.error_message or "no reason")
        return None
    if not _current(ctx, manifest, event):
        log.info("the preview of %s is no longer wanted (the asset moved on); discarded", name)
        _discard(ctx, event)
        return None
    assert manifest is not None and manifest.source is not None
    try:
        check_unchanged(ctx, manifest.source, event.user_metadata.get("version") or manifest.source_version)
        entry = publish_output(ctx, event.outputs[0])
    except Exception as exc:  # noqa: BLE001 - the ladder's outcome is the one that counts
        log.warning("the preview of %s was not published (%s)", name, reason_of(exc))
        _discard(ctx, event)
        return None
    video = (manifest.media or {}).get("video") or {}
    entry = replace(entry, kind="preview", rung=None, width=entry.width or video.get("display_width"),
                    height=entry.height or video.get("display_height"))
    now = iso(ctx.clock())
    note = {"at": now, "status": "processing", "message": f"preview published ({preview_mode(event.user_metadata)})"}

    def playable(current: Manifest) -> Manifest | None:
        if current.source != manifest.source or current.status is not Status.PROCESSING:
            return None
        return replace(current, preview=entry, playable_at=current.playable_at or now, updated_at=now,
                       history=(*current.history, note))

    updated = update_manifest(ctx.public, name, playable)
    if updated is None or updated.preview != entry:  # the ladder finished meanwhile: the preview is not needed
        retire_preview(ctx, AssetKeys.for_input(manifest.source))
        return None
    log.info("%s is playable: preview %s", name, entry.key)
    return updated


def _current(ctx: PipelineContext, manifest: Manifest | None, event: JobStateChange) -> bool:
    """The preview's asset is still processing the upload version the preview was made from."""
    if manifest is None or manifest.status is not Status.PROCESSING or manifest.source is None:
        return False
    if manifest.source != event.user_metadata.get("input") or not event.outputs:
        return False
    read = event.user_metadata.get("version")
    return not read or read == manifest.source_version or _watch_version(ctx, manifest.source) == read


def _watch_version(ctx: PipelineContext, key: str) -> str | None:
    try:
        return ctx.watch.stat(key).etag
    except FileNotFoundError:
        return None


def _discard(ctx: PipelineContext, event: JobStateChange) -> None:
    for output in event.outputs:
        store, key = locate(output.uri, [ctx.public])
        if key.startswith(STAGING) and store.exists(key):
            store.delete(key)
