"""Which notifiers a configuration asks for: SNS when a topic is set, a webhook when a URL is."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from avpipe.config import ENV_WEBHOOK_SECRET, Settings
from avpipe.notify.base import Notifier, NotifierGroup

log = logging.getLogger(__name__)


def notifier_from_settings(settings: Settings, sns_client: Callable[[], Any] | None = None) -> NotifierGroup:
    """The notifiers ``settings`` configures (possibly none); ``sns_client`` builds the SNS client."""
    notifiers: list[Notifier] = []
    if settings.sns_topic_arn:
        from avpipe.notify.sns import SnsNotifier

        client = sns_client() if sns_client is not None else _default_sns_client()
        notifiers.append(SnsNotifier(client, settings.sns_topic_arn))
    if settings.webhook_url:
        from avpipe.notify.webhook import WebhookNotifier

        if not settings.webhook_secret:
            log.warning("the webhook is not signed: set %s", ENV_WEBHOOK_SECRET)
        notifiers.append(WebhookNotifier(settings.webhook_url, settings.webhook_secret))
    return NotifierGroup(notifiers)


def _default_sns_client() -> Any:
    from avpipe.errors import ConfigurationError

    try:
        import boto3
    except ImportError as exc:
        raise ConfigurationError("SNS notifications need boto3: pip install 'avpipe[aws]'.") from exc
    return boto3.client("sns")
