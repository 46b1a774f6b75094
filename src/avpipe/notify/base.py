"""The notifier interface: one method, given the EventBridge-shaped job event.

Every backend receives the same dictionary: what EventBridge delivers for a
"MediaConvert Job State Change" (``JobStateChange.to_eventbridge()`` locally).
Notifications are best effort: a notifier raises avpipe errors, and
:class:`NotifierGroup` logs them so that a failing webhook never fails the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from avpipe.errors import AvpipeError

log = logging.getLogger(__name__)


class Notifier(Protocol):
    name: str

    def notify(self, event: dict[str, Any]) -> None:
        """Deliver ``event``; raise an AvpipeError (transient or configuration) on failure."""
        ...


class NotifierGroup:
    """Sends each event to every notifier; reports which ones failed instead of raising."""

    name = "group"

    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = tuple(notifiers)

    def __bool__(self) -> bool:
        return bool(self.notifiers)

    def notify(self, event: dict[str, Any]) -> None:
        self.deliver(event)

    def deliver(self, event: dict[str, Any]) -> list[str]:
        """Deliver to all; return the names of the notifiers that failed (logged)."""
        failed = []
        for notifier in self.notifiers:
            try:
                notifier.notify(event)
            except AvpipeError as exc:
                log.error("notification via %s failed: %s", notifier.name, exc)
                failed.append(notifier.name)
        return failed


def subject_for(event: dict[str, Any]) -> str:
    """A short human subject: ``avpipe: course1/intro COMPLETE``."""
    detail = event.get("detail") or {}
    metadata = detail.get("userMetadata") or {}
    application = metadata.get("application", "avpipe")
    asset = metadata.get("asset") or detail.get("jobId", "job")
    return f"{application}: {asset} {detail.get('status', 'UPDATE')}"
