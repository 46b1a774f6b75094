"""Telling the world a transcode job finished: SNS, an HMAC-signed webhook, or several."""

from avpipe.notify.base import Notifier, NotifierGroup
from avpipe.notify.registry import notifier_from_settings

__all__ = ["Notifier", "NotifierGroup", "notifier_from_settings"]
