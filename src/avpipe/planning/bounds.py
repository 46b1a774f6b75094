"""How long an ffmpeg run over a source may read and last, from the source's checked duration.

The duration is the one analysis checked against the limits (the longest audio or video
stream as its packets show it). A transcode reads at most that much media (plus a margin)
and may run for a wall-clock budget proportional to it; a run past its budget is a
runaway input, refused as bad input. The job's ``UserMetadata`` carries the duration to
the transcoder under :data:`SOURCE_DURATION_KEY`.
"""

from __future__ import annotations

from collections.abc import Mapping

SOURCE_DURATION_KEY = "sourceDurationS"
READ_MARGIN_S = 2.0  # read a little past the checked duration: nothing real is cut
READ_MARGIN_RATIO = 0.01
BASE_BUDGET_S = 120.0  # start-up, probing, muxing: independent of the length
BUDGET_PER_MEDIA_S = 20.0  # wall-clock seconds per second of media, for every rung together
THUMBNAIL_BUDGET_S = 60.0


def read_limit_s(duration_s: float) -> float:
    """How much of the source (in media seconds) a transcode reads."""
    return round(duration_s * (1 + READ_MARGIN_RATIO) + READ_MARGIN_S, 3)


def run_budget_s(duration_s: float) -> float:
    """The wall-clock budget of one transcode of a source this long."""
    return round(BASE_BUDGET_S + BUDGET_PER_MEDIA_S * duration_s, 1)


def thumbnail_budget_s(at_s: float) -> float:
    """The wall-clock budget of grabbing a frame at ``at_s`` (an accurate seek decodes up to it)."""
    return round(THUMBNAIL_BUDGET_S + 2 * max(0.0, at_s), 1)


def source_duration_s(metadata: Mapping[str, str]) -> float | None:
    """The checked duration a job's metadata carries, if any."""
    try:
        value = float(metadata.get(SOURCE_DURATION_KEY, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def duration_metadata(duration_s: float | None) -> dict[str, str]:
    return {SOURCE_DURATION_KEY: f"{duration_s:.3f}"} if duration_s and duration_s > 0 else {}


__all__ = ["SOURCE_DURATION_KEY", "duration_metadata", "read_limit_s", "run_budget_s", "source_duration_s",
           "thumbnail_budget_s"]
