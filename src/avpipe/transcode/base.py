"""The transcoder interface: take a MediaConvert ``CreateJob`` request, report completion.

A backend's ``submit`` validates the request synchronously (raising avpipe errors, as
MediaConvert's API answers a bad request at once) and returns a job id. Completion
arrives later as a :class:`~avpipe.pipeline.events.JobStateChange`: from EventBridge on
AWS, from the backend itself locally.
"""

from __future__ import annotations

from typing import Any, Protocol


class Transcoder(Protocol):
    name: str

    def submit(self, request: dict[str, Any]) -> str:
        """Start the job described by ``request`` (CreateJob parameters); return its id."""
        ...
