"""Is the picture an upscale? The measurement before planning (thin: ffmpeg's psnr, judged in
:mod:`avpipe.quality.upscale`), so that planning stays pure and reads ``VideoTrack.detail_height``.

A 480p film delivered as 1080p has nothing for a 720p or 1080p rung to show: the measurement
scales sampled keyframes down to each lower rung and back, and the rung where the round trip's
PSNR jumps to near-lossless is its real detail. It costs one keyframe-only decode
(docs/performance.md). ``AVPIPE_DETAIL_PROBE=0`` skips it (every rung is then made).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from avpipe.analysis.facts import MediaFacts
from avpipe.errors import AvpipeError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.quality.upscale import candidates_below, judge
from avpipe.quality.upscale_probe import roundtrip_psnr

log = logging.getLogger(__name__)


def with_detail(runner: FfmpegRunner, source: str, facts: MediaFacts, rungs: Sequence[int]) -> MediaFacts:
    """``facts`` with ``video.detail_height`` set when the picture is an upscale; unchanged otherwise.

    A measurement that fails only logs: the source is then treated as native (every rung made).
    """
    video = facts.video
    if video is None or not rungs:
        return facts
    candidates = candidates_below(rungs, video.display_width, video.display_height)
    if not candidates:
        return facts
    try:
        scores = roundtrip_psnr(runner, source, video, candidates, facts.duration_s)
    except AvpipeError as exc:
        log.warning("the upscale check of %s failed, every rung is made: %s", source, exc)
        return facts
    verdict = judge(sorted(rungs), min(video.display_width, video.display_height), scores)
    log.info("detail check of %s: round-trip PSNR %s dB -> %s", source,
             {c: round(s, 4) for c, s in scores.items()}, verdict.detail_height or "native")
    if verdict.detail_height is None:
        return facts
    return replace(facts, video=replace(video, detail_height=verdict.detail_height))


__all__ = ["with_detail"]
