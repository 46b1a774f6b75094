"""The seed's MediaLambdaHandler: an upload arrived under ``inputs/``; analyse and route it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.guard import refuse_reference_container, refuse_references
from avpipe.analysis.routing import Route, route
from avpipe.errors import BadInputError, UnsupportedMediaError
from avpipe.keys import AssetKeys, is_ignored
from avpipe.manifest.model import Manifest, OutputEntry, Status, iso
from avpipe.manifest.repository import load_manifest, save_manifest, update_manifest
from avpipe.pipeline.caption_upload import SNIFF_BYTES, convert_caption_upload, looks_like_captions
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import ObjectCreated
from avpipe.pipeline.failures import record_failure
from avpipe.planning.asset import Action, AssetPlan, plan_asset

log = logging.getLogger(__name__)


def handle_upload(ctx: PipelineContext, event: ObjectCreated) -> Manifest | None:
    """Process one complete upload; chunks and hidden files are skipped silently."""
    if is_ignored(event.key):
        log.debug("skipping %s (chunk, folder or hidden file)", event.key)
        return None
    keys = AssetKeys.for_input(event.key)
    log.info("upload %s: analysing", event.key)
    facts: MediaFacts | None = None
    kind = "unsupported"
    try:
        head = ctx.watch.read_bytes(event.key, 0, SNIFF_BYTES)
        refuse_references(head)  # before any tool opens it: nothing may make us read other files
        with ctx.watch.readable(event.key) as source:
            facts = ctx.probe(source)
        plan = plan_for(ctx, keys, facts, lambda: head, version=event.etag or ctx.watch.stat(event.key).etag)
        kind = str(plan.route)
        log.info("upload %s: %s -> %s", event.key, plan.route, plan.action)
        return _execute(ctx, plan, facts)
    except Exception as exc:  # every failure is recorded, none takes the pipeline down
        return record_failure(ctx, keys, kind, exc, "analysis" if facts is None else "processing",
                              media=facts.to_dict() if facts else None)


def plan_for(ctx: PipelineContext, keys: AssetKeys, facts: MediaFacts, head: Callable[[], bytes],
             version: str | None = None) -> AssetPlan:
    """The plan for an analysed upload (also what ``avpipe plan`` prints).

    ``head`` reads the file's first bytes, for caption formats MediaInfo does not know;
    ``version`` (the upload's ETag) keys the transcode request's idempotency token.
    """
    refuse_reference_container(facts.container)
    if facts.is_truncated:
        raise BadInputError("The file is truncated: it ends before its own headers say it should (incomplete upload?).")
    routed = route(facts)
    if routed is Route.UNSUPPORTED and looks_like_captions(facts.size_bytes, head):
        routed = Route.CAPTION
    return plan_asset(keys, facts, routed, settings=ctx.settings, video_template=ctx.templates.video,
                      audio_template=ctx.templates.audio, watch_uri=ctx.watch.uri, public_uri=ctx.public.uri,
                      upload_version=version)


def _execute(ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts) -> Manifest:
    if plan.action is Action.REJECT:
        raise UnsupportedMediaError(_unsupported_reason(facts))
    if plan.action is Action.CONVERT_CAPTIONS:
        return convert_caption_upload(ctx, plan.keys)
    manifest = _start(ctx, plan, facts)
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.original)
    if plan.action is Action.COPY_MP3:
        return _finish_mp3(ctx, plan, manifest)
    assert plan.mediaconvert_job is not None
    job_id = ctx.transcoder.submit(plan.mediaconvert_job)
    log.info("upload %s: job %s submitted to %s", plan.keys.input_key, job_id, ctx.transcoder.name)
    job = {"backend": ctx.transcoder.name, "id": job_id}
    updated = update_manifest(ctx.public, plan.keys.name, lambda m: _with_job(m, plan, job))
    return updated or manifest


def _start(ctx: PipelineContext, plan: AssetPlan, facts: MediaFacts) -> Manifest:
    """Write the ``processing`` manifest (keeping captions already attached to this name)."""
    now = iso(ctx.clock())
    previous = load_manifest(ctx.public, plan.keys.name)
    manifest = Manifest(
        name=plan.keys.name, kind=str(plan.route), status=Status.PROCESSING, created_at=now, updated_at=now,
        source=plan.keys.input_key, original=plan.keys.original, media=facts.to_dict(),
        captions=previous.captions if previous else (),
        history=({"at": now, "status": "processing", "message": f"analysed; action {plan.action}"},),
    )
    save_manifest(ctx.public, manifest)
    return manifest


def _with_job(manifest: Manifest, plan: AssetPlan, job: dict[str, str]) -> Manifest | None:
    if manifest.source != plan.keys.input_key or manifest.job is not None:
        return None  # replaced meanwhile, or the job already finished and recorded itself
    return replace(manifest, job=job)


def _finish_mp3(ctx: PipelineContext, plan: AssetPlan, manifest: Manifest) -> Manifest:
    ctx.watch.copy_to(plan.keys.input_key, ctx.public, plan.keys.audio)
    done = manifest.moved_to(Status.COMPLETE, ctx.clock(), "MP3 copied unchanged",
                             outputs=(OutputEntry(plan.keys.audio, "audio"),))
    save_manifest(ctx.public, done)
    ctx.watch.delete(plan.keys.input_key)
    return done


def _unsupported_reason(facts: MediaFacts) -> str:
    found = facts.container or "no recognisable format"
    return f"The file is not audio, video or a caption file avpipe reads (found: {found})."
