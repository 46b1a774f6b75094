"""Measuring the round trips that :mod:`avpipe.quality.upscale` judges (thin: runs ffmpeg's ssim)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from avpipe.analysis.facts import VideoTrack
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.quality.graph import comparison_size
from avpipe.quality.upscale import parse_ssim_stats, roundtrip_args, sample_step


def roundtrip_ssim(runner: FfmpegRunner, source_path: str, source: VideoTrack,
                   candidates: Sequence[int]) -> dict[int, float]:
    """SSIM of the source against its round trip through each candidate height (below its own)."""
    width, height = comparison_size(source)
    step = sample_step(source.frame_count)
    scores: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="avpipe-ssim-") as tmp:
        for candidate in (c for c in candidates if c < min(width, height)):
            stats = str(Path(tmp) / f"ssim-{candidate}.log")
            runner.run(roundtrip_args(source_path, candidate, width, height, stats, step))
            score = parse_ssim_stats(Path(stats).read_text(encoding="utf-8"))
            if score is not None:
                scores[candidate] = score
    return scores
