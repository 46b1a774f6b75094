"""One backoff rule for every retry in avpipe (transient pipeline failures, CreateJob
throttling, webhook deliveries): exponential, capped, optionally with full jitter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt ``n`` (0-based) waits ``min(cap, base * 2**n) * jitter`` before the next try."""

    attempts: int = 3
    base_s: float = 1.0
    cap_s: float = 30.0

    def delay(self, attempt: int, jitter: float = 1.0) -> float:
        return float(min(self.cap_s, self.base_s * 2.0**attempt) * jitter)
