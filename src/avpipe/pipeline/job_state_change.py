"""A transcode job finished (EventBridge "MediaConvert Job State Change", or the local backend)."""

from __future__ import annotations

import logging

from avpipe.errors import AvpipeError, BadInputError, ConfigurationError, TransientError, category_of
from avpipe.keys import STAGING, AssetKeys
from avpipe.manifest.model import ErrorInfo, Manifest, Status
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.pipeline.claims import ClaimState, read_version, settle
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import JobOutput, JobStateChange, ObjectCreated
from avpipe.pipeline.failures import reason_of
from avpipe.pipeline.media_handler import backoff_delay, handle_upload, retryable
from avpipe.pipeline.preview import preview_state_change
from avpipe.pipeline.publish import check_unchanged, publish_output, remove_upload, retire_preview, retire_previous
from avpipe.planning.preview import is_preview
from avpipe.planning.streams import describe_streams
from avpipe.storage.fingerprint import Fingerprint
from avpipe.storage.registry import locate

log = logging.getLogger(__name__)


def job_state_change(ctx: PipelineContext, event: JobStateChange) -> Manifest | None:
    """Record the outcome in the manifest; on success remove the upload from ``inputs/``."""
    name = event.user_metadata.get("asset")
    if name is None or event.user_metadata.get("application") != ctx.settings.application_name:
        log.debug("job %s is not one of this application's; ignored", event.job_id)
        return None
    if event.status not in ("COMPLETE", "ERROR"):
        return None
    if is_preview(event.user_metadata):
        return preview_state_change(ctx, event)
    manifest = load_manifest(ctx.public, name)
    if manifest is None or manifest.source != event.user_metadata.get("input"):
        log.warning("job %s finished for %s, which has been replaced since; ignored", event.job_id, name)
        return None
    if manifest.job is not None and manifest.job.get("id") != event.job_id:
        log.warning("job %s is not the current job of %s; ignored", event.job_id, name)
        return None
    if _for_an_earlier_version(ctx, manifest, event):
        log.warning("job %s was for an earlier version of %s; ignored", event.job_id, manifest.source)
        return None
    job = manifest.job or {"backend": ctx.transcoder.name, "id": event.job_id}
    if event.status == "COMPLETE":
        try:
            return _complete(ctx, manifest, event, job)
        except Exception as exc:  # publishing failed: nothing half-published stays listed
            _discard_staged(ctx, event)
            return _fail(ctx, manifest, event.job_id, job, exc, "publish")
    return _fail(ctx, manifest, event.job_id, job, classify_job_error(event), "transcode")


def _complete(
    ctx: PipelineContext, manifest: Manifest, event: JobStateChange, job: dict[str, str]
) -> Manifest | None:
    # the upload's version as the job read it (the request carries it; the claim records it)
    claimed = read_version(ctx.watch, manifest.source, manifest.source_version) if manifest.source else None
    read = event.user_metadata.get("version") or claimed or manifest.source_version
    if manifest.source:
        check_unchanged(ctx, manifest.source, read)
    outputs = tuple(publish_output(ctx, output) for output in with_staged_companions(ctx, event.outputs))
    if manifest.source:  # a CMAF job's files: the HLS master and MPD described for a player (streaming)
        outputs = describe_streams(AssetKeys.for_input(manifest.source), outputs,
                                   lambda key: ctx.public.read_bytes(key).decode("utf-8"),
                                   lambda key: next((o.file.size for o in outputs if o.key == key and o.file), None))
    if manifest.source:
        retire_previous(ctx, AssetKeys.for_input(manifest.source), manifest.outputs, outputs, manifest.kind)
    message = f"job {event.job_id} complete"
    original = manifest.original_file or _original_record(ctx, manifest)
    done = update_manifest(ctx.public, manifest.name, lambda current: current.moved_to(
        Status.COMPLETE, ctx.clock(), message, outputs=outputs, job=job,
        original_file=original or current.original_file)
        if current.source == manifest.source else None)
    if done is None:  # a newer upload of this name took over meanwhile; its job publishes its own outputs
        log.warning("%s was replaced while job %s was published; left to the newer upload", manifest.name,
                    event.job_id)
        return None
    if manifest.source:
        retire_preview(ctx, AssetKeys.for_input(manifest.source))  # the ladder replaces it
        settle(ctx.watch, manifest.source, manifest.source_version, ClaimState.DONE, ctx.clock(), holder=event.job_id)
    if manifest.source:
        remove_upload(ctx, manifest.source, read)
    return done


def with_staged_companions(ctx: PipelineContext, outputs: tuple[JobOutput, ...]) -> tuple[JobOutput, ...]:
    """The listed outputs plus every other file the job left in their staging folders.

    MediaConvert's completion event lists a CMAF/HLS group's manifests but not the segment files
    and variant playlists beside them; they are the same job's outputs and are published with it.
    """
    listed = {ctx.public.key_for_uri(o.uri) for o in outputs}
    folders = sorted({key.rsplit("/", 1)[0] + "/" for key in listed
                      if key and key.startswith(STAGING) and key.count("/") >= 2})
    extra = [JobOutput(ctx.public.uri(info.key)) for folder in folders for info in ctx.public.list(folder)
             if info.key not in listed]
    return (*outputs, *extra)


def _for_an_earlier_version(ctx: PipelineContext, manifest: Manifest, event: JobStateChange) -> bool:
    """True when a newer upload of the name has taken the manifest over since the job started:
    the job read a version that is neither the manifest's nor the one in the watch store now."""
    read = event.user_metadata.get("version")
    if not read or not manifest.source or read == manifest.source_version:
        return False
    try:
        return ctx.watch.stat(manifest.source).etag != read
    except FileNotFoundError:
        return True


def _original_record(ctx: PipelineContext, manifest: Manifest) -> Fingerprint | None:
    """The original's size and digest when the upload step did not record them (older manifests)."""
    if manifest.original is None:
        return None
    try:
        return ctx.public.fingerprint(manifest.original)
    except FileNotFoundError:
        return None


def _fail(
    ctx: PipelineContext, manifest: Manifest, job_id: str, job: dict[str, str], exc: BaseException, step: str
) -> Manifest | None:
    """Retry transient failures (a new attempt of the whole upload), else record the failure."""
    log.info("job %s for %s failed at %s: %s", job_id, manifest.name, step, reason_of(exc))  # reported once
    if manifest.source is None:
        return None
    retries_used = manifest.attempts - 1
    if retryable(exc) and retries_used < ctx.settings.transient_retries:
        ctx.sleep(backoff_delay(retries_used + 1))
        log.warning("job %s for %s: retrying the upload (attempt %d)", job_id, manifest.name, manifest.attempts + 1)
        return handle_upload(ctx, ObjectCreated("watch", manifest.source, etag=manifest.source_version, retry=True))
    state = ClaimState.RETRYABLE if category_of(exc) == "transient" else ClaimState.FAILED
    settle(ctx.watch, manifest.source, manifest.source_version, state, ctx.clock(), holder=job_id)
    error = ErrorInfo(category_of(exc), reason_of(exc), step)
    failed = update_manifest(ctx.public, manifest.name, lambda current: current.moved_to(
        Status.FAILED, ctx.clock(), f"job {job_id} failed", job=job, error=error)
        if current.source == manifest.source else None)
    if failed is not None:
        retire_preview(ctx, AssetKeys.for_input(manifest.source))
    return failed


def _discard_staged(ctx: PipelineContext, event: JobStateChange) -> None:
    for output in event.outputs:
        store, key = locate(output.uri, [ctx.public])
        if key.startswith(STAGING):
            store.delete(key)


def classify_job_error(event: JobStateChange) -> AvpipeError:
    """MediaConvert error codes to avpipe's categories (1000s input, 1400s access, 3000s+ service)."""
    message = event.error_message or "The transcode job failed without a message."
    code = event.error_code or 0
    category = event.error_category
    if category == "configuration" or 1400 <= code < 1500:
        return ConfigurationError(message)
    if category == "transient" or (category is None and code >= 3000):
        return TransientError(message)
    return BadInputError(message)
