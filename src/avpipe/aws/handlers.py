"""The Lambda entry points: parse the event, run the pipeline, return a short summary.

==========================================  =================================================
Handler                                     Trigger
==========================================  =================================================
``avpipe.aws.handlers.media_lambda_handler`` S3 ObjectCreated, prefix ``inputs/`` (watch bucket)
``avpipe.aws.handlers.save_video_frame``     S3 ObjectCreated, prefix ``original/`` (public bucket)
``avpipe.aws.handlers.job_state_change``     EventBridge "MediaConvert Job State Change"
==========================================  =================================================

The runtime (settings and clients) is built from ``os.environ`` on the first invocation
and kept for the life of the Lambda container; :func:`use_runtime` replaces it (tests).
Every record of an event is handled; if any failed with an error the pipeline could not
record in a manifest, the first such error is raised after all records were tried, so
that Lambda retries the event.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from avpipe.aws.events import job_state_change_of, s3_objects
from avpipe.aws.runtime import AwsRuntime
from avpipe.keys import is_ignored
from avpipe.manifest.model import Manifest
from avpipe.pipeline.events import Event, JobStateChange, ObjectCreated

log = logging.getLogger(__name__)
_runtime: AwsRuntime | None = None


def use_runtime(runtime: AwsRuntime | None) -> None:
    """Use ``runtime`` for the following invocations (None: build from the environment again)."""
    global _runtime
    _runtime = runtime


def current_runtime() -> AwsRuntime:
    """The runtime for this container, built from the environment on first use."""
    global _runtime
    if _runtime is None:
        from avpipe.logs import configure_logging

        configure_logging(verbosity=1, fmt="json")
        _runtime = AwsRuntime.from_env(os.environ)
    return _runtime


def media_lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 ObjectCreated under ``inputs/``: analyse each upload and start its processing."""
    return _handle_s3(event, context, "media_lambda_handler")


def save_video_frame(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 ObjectCreated under ``original/`` in the public bucket: write the thumbnail."""
    return _handle_s3(event, context, "save_video_frame")


def job_state_change(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge "MediaConvert Job State Change": update the manifest, then notify."""
    runtime = current_runtime()
    change = job_state_change_of(event)
    summary = _summary("job_state_change", context)
    if change is None:
        summary["ignored"].append(str(event.get("detail-type")))
        return summary
    _record(summary, runtime.handle(change))
    return summary


def _handle_s3(event: dict[str, Any], context: Any, name: str) -> dict[str, Any]:
    runtime = current_runtime()
    summary = _summary(name, context)
    errors: list[Exception] = []
    for obj in s3_objects(event):
        if is_ignored(obj.key):
            log.info("%s: %s ignored (chunk, folder or hidden file)", name, obj.key)
            summary["ignored"].append(obj.key)
            continue
        created = runtime.event_for(obj)
        try:
            _record(summary, runtime.handle(created, obj.bucket if created.store == "watch" else None))
        except Exception as exc:  # noqa: BLE001 - the other records still run; re-raised below
            log.exception("%s: %s failed", name, obj.key)
            summary["failed"].append(obj.key)
            errors.append(exc)
    if errors:
        raise errors[0]
    return summary


def _summary(name: str, context: Any) -> dict[str, Any]:
    return {"handler": name, "request_id": getattr(context, "aws_request_id", None),
            "handled": [], "ignored": [], "failed": []}


def _record(summary: dict[str, Any], results: list[tuple[Event, Manifest | None]]) -> None:
    for event, manifest in results:
        entry: dict[str, Any] = {"event": _describe(event)}
        if manifest is not None:
            entry.update(asset=manifest.name, status=str(manifest.status))
        summary["handled"].append(entry)


def _describe(event: Event) -> str:
    if isinstance(event, ObjectCreated):
        return f"{event.store}:{event.key}"
    assert isinstance(event, JobStateChange)
    return f"job:{event.job_id}:{event.status}"
