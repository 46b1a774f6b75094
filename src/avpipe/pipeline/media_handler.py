"""The seed's MediaLambdaHandler: an upload arrived under ``inputs/``; analyse and route it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from avpipe.analysis.detail import with_detail
from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.guard import refuse_reference_container, screen_head
from avpipe.analysis.limits import check_limits
from avpipe.analysis.routing import Route, route
from avpipe.analysis.streams import verify_streams
from avpipe.errors import BadInputError, TransientError, UploadChangedError, category_of
from avpipe.keys import AssetKeys, is_ignored
from avpipe.manifest.model import Manifest
from avpipe.manifest.repository import load_manifest
from avpipe.pipeline.caption_upload import SNIFF_BYTES, looks_like_captions
from avpipe.pipeline.claims import ClaimState, acquire, release, settle
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import ObjectCreated
from avpipe.pipeline.execute_plan import execute_plan
from avpipe.pipeline.failures import record_failure
from avpipe.planning.asset import AssetPlan, plan_asset
from avpipe.retrying import RetryPolicy

log = logging.getLogger(__name__)
TRANSIENT_RETRY = RetryPolicy(base_s=1.0, cap_s=30.0)  # attempts come from Settings.transient_retries


def handle_upload(ctx: PipelineContext, event: ObjectCreated) -> Manifest | None:
    """Process one complete upload version exactly once; chunks and hidden files are skipped.

    Transient failures are retried with exponential backoff; every other failure, and a
    transient one that outlasts the retries, is recorded in the manifest and the upload
    stays in ``inputs/``.
    """
    if is_ignored(event.key):
        log.debug("skipping %s (chunk, folder or hidden file)", event.key)
        return None
    try:
        keys = AssetKeys.for_input(event.key)
    except BadInputError as exc:  # no safe name to record a manifest under: say so, leave the file
        log.error("upload %r refused: %s", event.key, exc)
        return None
    versions = _versions(ctx, event)
    if versions is None:
        return None
    version, read = versions
    ttl = timedelta(seconds=ctx.settings.claim_ttl_s)
    claim = acquire(ctx.watch, event.key, version, ctx.clock(), ttl, force=event.retry, read=read)
    if claim is None:
        return load_manifest(ctx.public, keys.name)
    attempt = _Attempt(keys, version, claim.attempts, retry=event.retry, read=read)
    while True:
        try:
            manifest, state = _process(ctx, attempt)
        except Exception as exc:  # every failure is recorded, none takes the pipeline down
            if retryable(exc) and attempt.number - claim.attempts < ctx.settings.transient_retries:
                delay = backoff_delay(attempt.number - claim.attempts + 1)
                log.warning("upload %s: %s; retrying in %.1f s", event.key, exc, delay)
                ctx.sleep(delay)
                attempt = _Attempt(keys, version, attempt.number + 1, retry=event.retry, read=read)
                continue
            return _record(ctx, attempt, exc)
        holder = manifest.job["id"] if state is ClaimState.SUBMITTED and manifest.job else None
        settle(ctx.watch, event.key, version, state, ctx.clock(), holder=holder)
        return manifest


def retryable(exc: BaseException) -> bool:
    """Transient failures are tried again (not a changed upload: its new version is processed)."""
    return category_of(exc) == "transient" and not isinstance(exc, UploadChangedError)


def _record(ctx: PipelineContext, attempt: _Attempt, exc: BaseException) -> Manifest:
    """Settle the claim and record the failure; when even that fails (a full disk), release the
    claim and raise TransientError, so the caller tries the upload again later."""
    key = attempt.keys.input_key
    state = ClaimState.RETRYABLE if category_of(exc) == "transient" else ClaimState.FAILED
    try:
        settle(ctx.watch, key, attempt.version, state, ctx.clock())
        return record_failure(ctx, attempt.keys, attempt.kind, exc, attempt.step, media=attempt.media,
                              version=attempt.version, attempts=attempt.number)
    except OSError as unrecorded:
        log.error("upload %s failed and the failure could not be recorded (%s); it is tried again later",
                  key, unrecorded.strerror or type(unrecorded).__name__)
        release(ctx.watch, key, attempt.version)
        raise TransientError("The failure of this upload could not be recorded; it is tried again later.") \
            from unrecorded


@dataclass
class _Attempt:
    """One try at an upload version, and what it learned (for the failure record)."""

    keys: AssetKeys
    version: str
    number: int
    facts: MediaFacts | None = None
    kind: str = "unsupported"
    retry: bool = False  # an operator's retry: encode again even when the bytes are the published original's
    read: str | None = None  # the store's version of the upload when it was read (compare-and-delete uses it)

    @property
    def step(self) -> str:
        return "analysis" if self.facts is None else "processing"

    @property
    def media(self) -> dict[str, Any] | None:
        return self.facts.to_dict() if self.facts else None


def _process(ctx: PipelineContext, attempt: _Attempt) -> tuple[Manifest, ClaimState]:
    key = attempt.keys.input_key
    log.info("upload %s: analysing (attempt %d)", key, attempt.number)
    head = ctx.watch.read_bytes(key, 0, SNIFF_BYTES)
    screen_head(head)  # before any tool opens it: nothing may make us read other files
    with ctx.watch.readable(key) as source:
        attempt.facts = ctx.probe(source)
        attempt.facts = verify_streams(ctx.runner, source, attempt.facts)  # the streams, not only the headers
        attempt.facts = with_detail(ctx.runner, source, attempt.facts, ctx.settings.detail_rungs)  # an upscale?
    # a retry is a new job request: its idempotency token must differ from the failed attempt's
    token_version = attempt.version if attempt.number == 1 else f"{attempt.version}#{attempt.number}"
    plan = plan_for(ctx, attempt.keys, attempt.facts, lambda: head, version=token_version)
    attempt.kind = str(plan.route)
    log.info("upload %s: %s -> %s", key, plan.route, plan.action)
    return execute_plan(ctx, plan, attempt.facts, attempt.version, attempt.number, reencode=attempt.retry,
                        read_version=attempt.read)


def _versions(ctx: PipelineContext, event: ObjectCreated) -> tuple[str, str | None] | None:
    """The upload version to claim (the event's ETag, else the store's) and the store's version
    now, which is what is read, checked before publishing and compare-and-deleted; None when the
    upload has gone meanwhile (nothing to do)."""
    try:
        info = ctx.watch.stat(event.key)
    except FileNotFoundError:
        log.info("upload %s is gone; nothing to do", event.key)
        return None
    return event.etag or info.etag or f"size-{info.size}", info.etag


def backoff_delay(retry: int) -> float:
    """Seconds to wait before retry number ``retry`` of a transient failure (1, 2, 4 ... 30)."""
    return TRANSIENT_RETRY.delay(retry - 1)


def plan_for(ctx: PipelineContext, keys: AssetKeys, facts: MediaFacts, head: Callable[[], bytes],
             version: str | None = None, *, read_store: bool = True) -> AssetPlan:
    """The plan for an analysed upload (also what ``avpipe plan`` prints).

    ``head`` reads the file's first bytes, for caption formats MediaInfo does not know;
    ``version`` (the upload's ETag) keys the transcode request's idempotency token.
    ``read_store=False`` (``avpipe plan``, which touches no store) leaves out the captions
    already published for this name.
    """
    refuse_reference_container(facts.container)
    if facts.is_truncated:
        raise BadInputError("The file is truncated: it ends before its own headers say it should (incomplete upload?).")
    routed = route(facts)
    if routed is Route.UNSUPPORTED and looks_like_captions(facts.size_bytes, head):
        routed = Route.CAPTION
    if routed in (Route.AUDIO, Route.VIDEO):  # caption files have their own bounds
        check_limits(facts, ctx.settings.limits)
    captions = published_captions(ctx, keys) if read_store and routed is Route.VIDEO else ()
    return plan_asset(keys, facts, routed, settings=ctx.settings, video_template=ctx.templates.video,
                      audio_template=ctx.templates.audio, watch_uri=ctx.watch.uri, public_uri=ctx.public.uri,
                      upload_version=version, captions=captions)


def published_captions(ctx: PipelineContext, keys: AssetKeys) -> tuple[tuple[str, str | None], ...]:
    """(key, language) of the WebVTT files this asset already has, for its stream's subtitle renditions."""
    manifest = load_manifest(ctx.public, keys.name)
    if manifest is None:
        return ()
    return tuple((c.key, c.language) for c in manifest.captions
                 if c.status == "complete" and c.key and ctx.public.exists(c.key))


