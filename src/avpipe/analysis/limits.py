"""Refusing sources whose properties are absurd or beyond the configured budget.

The facts checked are MediaInfo's, completed and corrected by the streams themselves
(:mod:`avpipe.analysis.streams`: decoded picture size, packet timestamps), and the
frame count is held against the duration limit too.
"""

from __future__ import annotations

from avpipe.analysis.facts import MediaFacts
from avpipe.config import MediaLimits
from avpipe.errors import BadInputError


def check_limits(facts: MediaFacts, limits: MediaLimits) -> None:
    """Raise BadInputError with the first limit the source exceeds."""
    if facts.size_bytes is not None and facts.size_bytes > limits.max_input_bytes:
        raise BadInputError(f"The file is {facts.size_bytes} bytes; the limit is {limits.max_input_bytes}.")
    if facts.duration_s is not None and facts.duration_s > limits.max_duration_s:
        raise BadInputError(
            f"The media lasts {facts.duration_s:g} s; the limit is {limits.max_duration_s:g} s."
        )
    video = facts.video
    if video is None:
        return
    if max(video.width, video.height, video.display_width, video.display_height) > limits.max_dimension:
        raise BadInputError(
            f"The video declares {video.width}x{video.height} pixels; the limit is {limits.max_dimension} a side."
        )
    if video.frame_rate is not None and video.frame_rate > limits.max_frame_rate:
        raise BadInputError(
            f"The video declares {video.frame_rate:g} frames per second; the limit is {limits.max_frame_rate:g}."
        )
    if video.frame_count and video.frame_rate and video.frame_count / video.frame_rate > limits.max_duration_s:
        raise BadInputError(
            f"The video has {video.frame_count} frames at {video.frame_rate:g} per second, longer than the limit "
            f"of {limits.max_duration_s:g} s."
        )
