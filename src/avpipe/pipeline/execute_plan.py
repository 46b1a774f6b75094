"""Carrying out an upload's plan: original, manifest, MP3 copy, caption conversion or job."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.routing import Route
from avpipe.errors import UnsupportedMediaError
from avpipe.integrity.identity import record_identical, record_original, unchanged_original, upload_digest
from avpipe.manifest.model import Manifest, OutputEntry, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest, update_manifest
from avpipe.pipeline.caption_upload import convert_caption_upload
from avpipe.pipeline.claims import ClaimState
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.preview import submit_preview
from avpipe.pipeline.publish import check_unchanged, described, remove_upload, retire_original, retire_previous
from avpipe.planning.asset import Action, AssetPlan

log = logging.getLogger(__name__)


def execute_plan(
    ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts, version: str | None, attempts: int,
    *, reencode: bool = False, read_version: str | None = None,
) -> tuple[Manifest, ClaimState]:
    """Do what the plan says; return the manifest and the upload's claim state afterwards.

    An upload with the bytes of the asset's published original is not encoded again
    (recorded in the history), unless ``reencode`` (an operator's retry). ``read_version`` is
    the store's version of the upload as read: it is removed only while it is still that one.
    """
    read_version = read_version or version
    if plan.action is Action.REJECT:
        raise UnsupportedMediaError(_unsupported_reason(facts))
    if plan.action is Action.CONVERT_CAPTIONS:
        manifest, converted = convert_caption_upload(ctx, plan.keys, read_version)
        if converted:
            remove_upload(ctx, plan.keys.input_key, read_version)
        return manifest, ClaimState.DONE if converted else ClaimState.FAILED
    digest = upload_digest(ctx.watch, plan.keys.input_key)  # the content identity (one read locally)
    same = None if reencode else unchanged_original(ctx.public, plan.keys, str(plan.route), digest)
    if same is not None and digest is not None:
        done = record_identical(ctx.public, same, plan.keys, digest, version, ctx.clock())
        remove_upload(ctx, plan.keys.input_key, read_version)
        return done, ClaimState.DONE
    previous = load_manifest(ctx.public, plan.keys.name)
    manifest = _start(ctx, plan, facts, version, attempts, previous)
    submit_preview(ctx, plan, read_version)  # playable in seconds, long before the ladder
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.original)
    retire_original(ctx, previous, plan.keys.original)
    manifest = record_original(ctx.watch, ctx.public, plan.keys, digest, version) or manifest
    if plan.action is Action.COPY_MP3:
        return _finish_mp3(ctx, plan, manifest, digest, read_version), ClaimState.DONE
    assert plan.mediaconvert_job is not None
    job_id = ctx.transcoder.submit(_with_read_version(plan.mediaconvert_job, read_version))
    log.info("upload %s: job %s submitted to %s", plan.keys.input_key, job_id, ctx.transcoder.name)
    job = {"backend": ctx.transcoder.name, "id": job_id}
    updated = update_manifest(ctx.public, plan.keys.name, lambda m: _with_job(m, plan, job))
    return updated or manifest, ClaimState.SUBMITTED


def _start(ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts, version: str | None, attempts: int,
           previous: Manifest | None) -> Manifest:
    """Write the ``processing`` manifest (keeping captions already attached to this name)."""
    now = iso(ctx.clock())
    manifest = Manifest(
        name=plan.keys.name, kind=str(plan.route), status=Status.PROCESSING, updated_at=now,
        created_at=previous.created_at if previous else now,  # a retry or re-upload keeps the asset's history
        source=plan.keys.input_key, source_version=version, attempts=attempts, original=plan.keys.original,
        media=facts.to_dict(), captions=previous.captions if previous else (), notes=plan.notes,
        # an earlier upload's outputs stay listed (and served) until the new ones are published
        outputs=previous.outputs if previous else (),
        thumbnail=previous.thumbnail if previous and plan.route is Route.VIDEO else None,
        thumbnail_file=previous.thumbnail_file if previous and plan.route is Route.VIDEO else None,
        playable_at=previous.playable_at if previous else None,  # its outputs stay served meanwhile
        history=(*(previous.history if previous else ()),
                 {"at": now, "status": "processing", "message": f"analysed; action {plan.action}"}),
    )
    save_manifest(ctx.public, manifest)
    return manifest


def _with_read_version(request: dict[str, Any], read_version: str | None) -> dict[str, Any]:
    """The job request carrying the upload's version as read, for its completion to compare."""
    if read_version is None:
        return request
    return {**request, "UserMetadata": {**request.get("UserMetadata", {}), "version": read_version}}


def _with_job(manifest: Manifest, plan: AssetPlan, job: dict[str, str]) -> Manifest | None:
    if manifest.source != plan.keys.input_key or manifest.job is not None:
        return None  # replaced meanwhile, or the job already finished and recorded itself
    return replace(manifest, job=job)


def _finish_mp3(ctx: PipelineContext, plan: AssetPlan, manifest: Manifest, digest: str | None,
                version: str | None) -> Manifest:
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.audio)
    check_unchanged(ctx, plan.keys.input_key, version)  # the copy is of the version that was analysed
    duration = manifest.media.get("duration_s") if manifest.media else None
    outputs = (described(ctx, OutputEntry(plan.keys.audio, "audio"), sha256=digest,
                         duration_s=float(duration) if isinstance(duration, (int, float)) else None),)
    retire_previous(ctx, plan.keys, manifest.outputs, outputs, manifest.kind)
    done = manifest.moved_to(Status.COMPLETE, ctx.clock(), "MP3 copied unchanged", outputs=outputs)
    save_manifest(ctx.public, done)
    remove_upload(ctx, plan.keys.input_key, version)
    return done


def _unsupported_reason(facts: MediaFacts) -> str:
    found = facts.container or "no recognisable format"
    return f"The file is not audio, video or a caption file avpipe reads (found: {found})."
