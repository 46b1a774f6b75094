"""The events that drive the pipeline, in one shape for local runs and AWS.

``ObjectCreated`` stands for an S3 ObjectCreated notification (or a file appearing in a
local folder); ``JobStateChange`` for EventBridge's "MediaConvert Job State Change",
which the local backend emits in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StoreName = Literal["watch", "public"]
JOB_EVENT_SOURCE = "aws.mediaconvert"
JOB_EVENT_TYPE = "MediaConvert Job State Change"


@dataclass(frozen=True)
class ObjectCreated:
    store: StoreName
    key: str
    size: int | None = None
    etag: str | None = None
    retry: bool = False  # an operator's retry: process again even if this version failed before


@dataclass(frozen=True)
class JobOutput:
    uri: str  # where the file was written (s3://... or file://...)
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class JobStateChange:
    job_id: str
    status: Literal["COMPLETE", "ERROR", "PROGRESSING", "CANCELED"]
    user_metadata: dict[str, str] = field(default_factory=dict)
    outputs: tuple[JobOutput, ...] = ()
    error_code: int | None = None
    error_message: str | None = None
    error_category: str | None = None  # avpipe's own classification, when the local backend knows it

    def to_eventbridge(self, *, account: str = "000000000000", region: str = "local") -> dict[str, Any]:
        """The EventBridge event MediaConvert sends for this state change."""
        detail: dict[str, Any] = {"status": self.status, "jobId": self.job_id, "userMetadata": self.user_metadata}
        if self.outputs:
            detail["outputGroupDetails"] = [{
                "type": "FILE_GROUP",
                "outputDetails": [_output_detail(o) for o in self.outputs],
            }]
        if self.error_code is not None:
            detail["errorCode"] = self.error_code
        if self.error_message is not None:
            detail["errorMessage"] = self.error_message
        if self.error_category is not None:
            detail["userMetadata"] = {**self.user_metadata, "avpipeErrorCategory": self.error_category}
        return {"version": "0", "source": JOB_EVENT_SOURCE, "detail-type": JOB_EVENT_TYPE,
                "account": account, "region": region, "detail": detail}

    @classmethod
    def from_eventbridge(cls, event: dict[str, Any]) -> JobStateChange:
        detail = event["detail"]
        metadata = dict(detail.get("userMetadata") or {})
        category = metadata.pop("avpipeErrorCategory", None)
        outputs = tuple(
            JobOutput(uri=path, width=(out.get("videoDetails") or {}).get("widthInPx"),
                      height=(out.get("videoDetails") or {}).get("heightInPx"),
                      duration_ms=out.get("durationInMs"))
            for group in detail.get("outputGroupDetails") or []
            for out in group.get("outputDetails") or []
            for path in out.get("outputFilePaths") or []
        )
        return cls(job_id=str(detail.get("jobId", "")), status=detail["status"], user_metadata=metadata,
                   outputs=outputs, error_code=detail.get("errorCode"), error_message=detail.get("errorMessage"),
                   error_category=category)


def _output_detail(output: JobOutput) -> dict[str, Any]:
    detail: dict[str, Any] = {"outputFilePaths": [output.uri]}
    if output.duration_ms is not None:
        detail["durationInMs"] = output.duration_ms
    if output.width is not None and output.height is not None:
        detail["videoDetails"] = {"widthInPx": output.width, "heightInPx": output.height}
    return detail


Event = ObjectCreated | JobStateChange
