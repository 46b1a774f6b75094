"""Turning the events AWS delivers into avpipe's own events.

S3 notifications arrive directly, or wrapped in SNS or SQS messages; their keys are
URL-encoded (``+`` for spaces, ``%xx`` for the rest) and are decoded here. S3's
``s3:TestEvent`` and records other than ObjectCreated yield nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from avpipe.errors import BadInputError
from avpipe.pipeline.events import JOB_EVENT_SOURCE, JOB_EVENT_TYPE, JobStateChange

log = logging.getLogger(__name__)
TEST_EVENT = "s3:TestEvent"


@dataclass(frozen=True)
class S3Object:
    """One ObjectCreated record: which object, as S3 described it."""

    bucket: str
    key: str  # decoded
    size: int | None = None
    etag: str | None = None
    event_name: str = "ObjectCreated:Put"


def s3_objects(event: Mapping[str, Any]) -> list[S3Object]:
    """Every ObjectCreated record in an S3 notification (direct, or inside SNS / SQS messages)."""
    return list(_records(event))


def _records(event: Mapping[str, Any]) -> Iterator[S3Object]:
    if event.get("Event") == TEST_EVENT:
        log.info("S3 test event for %s ignored", event.get("Bucket"))
        return
    for record in event.get("Records") or []:
        if "s3" in record:
            found = _object(record)
            if found is not None:
                yield found
        elif "Sns" in record:  # S3 -> SNS -> Lambda
            yield from _records(_json(record["Sns"].get("Message")))
        elif "body" in record:  # S3 -> SQS -> Lambda
            yield from _records(_json(record.get("body")))


def _object(record: Mapping[str, Any]) -> S3Object | None:
    name = str(record.get("eventName", ""))
    if not name.startswith("ObjectCreated:"):
        log.info("S3 record %s ignored", name or "without a name")
        return None
    s3 = record["s3"]
    obj = s3["object"]
    size = obj.get("size")
    return S3Object(bucket=s3["bucket"]["name"], key=unquote_plus(obj["key"]),
                    size=int(size) if size is not None else None, etag=obj.get("eTag") or None, event_name=name)


def _json(text: Any) -> Mapping[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise BadInputError("A wrapped S3 notification is not a JSON object.")
    return value


def job_state_change_of(event: Mapping[str, Any]) -> JobStateChange | None:
    """The job event in an EventBridge delivery, or None for anything else."""
    if event.get("source") != JOB_EVENT_SOURCE or event.get("detail-type") != JOB_EVENT_TYPE:
        log.info("event from %s (%s) is not a MediaConvert job state change; ignored",
                 event.get("source"), event.get("detail-type"))
        return None
    try:
        return JobStateChange.from_eventbridge(dict(event))
    except (KeyError, TypeError) as exc:
        raise BadInputError(f"The MediaConvert event is malformed: missing {exc}.") from exc
