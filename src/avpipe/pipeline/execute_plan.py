"""Carrying out an upload's plan: original, manifest, MP3 copy, caption conversion or job."""

from __future__ import annotations

import logging
from dataclasses import replace

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.routing import Route
from avpipe.errors import UnsupportedMediaError
from avpipe.manifest.model import Manifest, OutputEntry, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest, update_manifest
from avpipe.pipeline.caption_upload import convert_caption_upload
from avpipe.pipeline.claims import ClaimState
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.publish import retire_previous
from avpipe.planning.asset import Action, AssetPlan

log = logging.getLogger(__name__)


def execute_plan(
    ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts, version: str | None, attempts: int
) -> tuple[Manifest, ClaimState]:
    """Do what the plan says; return the manifest and the upload's claim state afterwards."""
    if plan.action is Action.REJECT:
        raise UnsupportedMediaError(_unsupported_reason(facts))
    if plan.action is Action.CONVERT_CAPTIONS:
        manifest, converted = convert_caption_upload(ctx, plan.keys)
        return manifest, ClaimState.DONE if converted else ClaimState.FAILED
    manifest = _start(ctx, plan, facts, version, attempts)
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.original)
    if plan.action is Action.COPY_MP3:
        return _finish_mp3(ctx, plan, manifest), ClaimState.DONE
    assert plan.mediaconvert_job is not None
    job_id = ctx.transcoder.submit(plan.mediaconvert_job)
    log.info("upload %s: job %s submitted to %s", plan.keys.input_key, job_id, ctx.transcoder.name)
    job = {"backend": ctx.transcoder.name, "id": job_id}
    updated = update_manifest(ctx.public, plan.keys.name, lambda m: _with_job(m, plan, job))
    return updated or manifest, ClaimState.SUBMITTED


def _start(ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts, version: str | None, attempts: int) -> Manifest:
    """Write the ``processing`` manifest (keeping captions already attached to this name)."""
    now = iso(ctx.clock())
    previous = load_manifest(ctx.public, plan.keys.name)
    manifest = Manifest(
        name=plan.keys.name, kind=str(plan.route), status=Status.PROCESSING, updated_at=now,
        created_at=previous.created_at if previous else now,  # a retry or re-upload keeps the asset's history
        source=plan.keys.input_key, source_version=version, attempts=attempts, original=plan.keys.original,
        media=facts.to_dict(), captions=previous.captions if previous else (),
        # an earlier upload's outputs stay listed (and served) until the new ones are published
        outputs=previous.outputs if previous else (),
        thumbnail=previous.thumbnail if previous and plan.route is Route.VIDEO else None,
        history=(*(previous.history if previous else ()),
                 {"at": now, "status": "processing", "message": f"analysed; action {plan.action}"}),
    )
    save_manifest(ctx.public, manifest)
    return manifest


def _with_job(manifest: Manifest, plan: AssetPlan, job: dict[str, str]) -> Manifest | None:
    if manifest.source != plan.keys.input_key or manifest.job is not None:
        return None  # replaced meanwhile, or the job already finished and recorded itself
    return replace(manifest, job=job)


def _finish_mp3(ctx: PipelineContext, plan: AssetPlan, manifest: Manifest) -> Manifest:
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.audio)
    outputs = (OutputEntry(plan.keys.audio, "audio"),)
    retire_previous(ctx, plan.keys, manifest.outputs, outputs, manifest.kind)
    done = manifest.moved_to(Status.COMPLETE, ctx.clock(), "MP3 copied unchanged", outputs=outputs)
    save_manifest(ctx.public, done)
    ctx.watch.delete(plan.keys.input_key)
    return done


def _unsupported_reason(facts: MediaFacts) -> str:
    found = facts.container or "no recognisable format"
    return f"The file is not audio, video or a caption file avpipe reads (found: {found})."
