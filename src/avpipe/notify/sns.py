"""Publishing the job event to an SNS topic (the same JSON EventBridge would send there).

On AWS the EventBridge rule can target the topic directly; this notifier is for when it
does not: the ``job_state_change`` function publishing after the manifest is updated, or
the local backend running inside Lambda.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from avpipe.errors import ConfigurationError, TransientError
from avpipe.notify.base import subject_for

log = logging.getLogger(__name__)
MAX_SUBJECT = 100  # SNS's limit on subjects


class SnsNotifier:
    name = "sns"

    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def notify(self, event: dict[str, Any]) -> None:
        detail = event.get("detail") or {}
        attributes = {"status": detail.get("status"), "asset": (detail.get("userMetadata") or {}).get("asset")}
        message_attributes = {k: {"DataType": "String", "StringValue": str(v)} for k, v in attributes.items() if v}
        try:
            response = self.client.publish(TopicArn=self.topic_arn, Message=json.dumps(event, ensure_ascii=False),
                                           Subject=_subject(subject_for(event)),
                                           MessageAttributes=message_attributes)
        except Exception as exc:
            raise _translate(exc, self.topic_arn) from exc
        log.info("published job %s %s to %s (message %s)", detail.get("jobId"), detail.get("status"),
                 self.topic_arn, response.get("MessageId"))


def _subject(text: str) -> str:
    """SNS subjects: printable ASCII, at most 100 characters, no line breaks."""
    ascii_only = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return ascii_only[:MAX_SUBJECT]


def _translate(exc: Exception, topic: str) -> Exception:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or code in ("Throttling", "ThrottledException", "InternalError"):
            return TransientError(f"SNS is unavailable ({code}) for {topic}.")
        return ConfigurationError(f"SNS refused to publish to {topic}: {code}.")
    if isinstance(exc, BotoCoreError):
        return TransientError(f"SNS could not be reached: {exc}")
    return exc
