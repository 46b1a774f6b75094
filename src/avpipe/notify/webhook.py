"""POSTing the job event as JSON to a URL, signed with HMAC-SHA256, retried with backoff.

Each request carries::

    Content-Type: application/json
    X-Avpipe-Timestamp: 1700000000              (Unix seconds when it was sent)
    X-Avpipe-Signature: sha256=<hex digest>     (when a secret is set)

The signature is HMAC-SHA256 with the shared secret over ``<timestamp>.<body>``, the
timestamp header's value, a dot and the raw body bytes, so a receiver can refuse both
forged and replayed deliveries (:func:`verify_signature` does exactly that). Network
errors, 429 and 5xx answers are retried (the timestamp and signature are renewed each
time); any other answer outside 2xx is a configuration error and is not retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from avpipe.errors import ConfigurationError, TransientError
from avpipe.retrying import RetryPolicy

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Avpipe-Signature"
TIMESTAMP_HEADER = "X-Avpipe-Timestamp"
USER_AGENT = "avpipe-webhook/1"

Opener = Callable[..., Any]  # like urllib.request.urlopen(request, timeout=...)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str, *, now: float,
                     tolerance_s: float = 300.0) -> bool:
    """For receivers: True when ``signature`` is valid and ``timestamp`` is recent."""
    try:
        age = abs(now - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookNotifier:
    name = "webhook"

    def __init__(self, url: str, secret: str | None = None, *, opener: Opener = urllib.request.urlopen,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 attempts: int = 4, base_delay_s: float = 1.0, timeout_s: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.opener = opener
        self.sleep = sleep
        self.clock = clock
        self.retry = RetryPolicy(attempts=attempts, base_s=base_delay_s)
        self.timeout_s = timeout_s

    def notify(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for attempt in range(self.retry.attempts):
            try:
                status = self._post(body)
            except TransientError as exc:
                if attempt == self.retry.attempts - 1:
                    raise
                delay = self.retry.delay(attempt)
                log.warning("webhook delivery failed (%s); retrying in %.1f s", exc, delay)
                self.sleep(delay)
            else:
                log.info("webhook %s answered %d", self.url, status)
                return

    def request(self, body: bytes) -> urllib.request.Request:
        """The signed POST for ``body``, stamped now."""
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, TIMESTAMP_HEADER: timestamp}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, timestamp, body)
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def _post(self, body: bytes) -> int:
        try:
            with self.opener(self.request(body), timeout=self.timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise TransientError(f"the webhook answered HTTP {exc.code}") from exc
            raise ConfigurationError(f"The webhook {self.url} refused the notification (HTTP {exc.code}).") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TransientError(f"the webhook could not be reached: {exc}") from exc
