"""Measuring the round trips that :mod:`avpipe.quality.upscale` judges (thin: runs ffmpeg's psnr)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from avpipe.analysis.facts import VideoTrack
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.quality.graph import comparison_size
from avpipe.quality.upscale import parse_psnr_stats, roundtrips_args


def roundtrip_psnr(runner: FfmpegRunner, source_path: str, source: VideoTrack, candidates: Sequence[int],
                   duration_s: float | None = None) -> dict[int, float]:
    """Luma PSNR (dB) of the source against its round trip through each candidate height (below its
    own), over sampled keyframes, all candidates in one ffmpeg run."""
    width, height = comparison_size(source)
    wanted = [c for c in candidates if c < min(width, height)]
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="avpipe-detail-") as tmp:
        stats = [str(Path(tmp) / f"psnr-{candidate}.log") for candidate in wanted]
        runner.run(roundtrips_args(source_path, wanted, width, height, stats, duration_s or source.duration_s))
        scores = {c: parse_psnr_stats(Path(s).read_text(encoding="utf-8")) for c, s in zip(wanted, stats, strict=True)}
    return {c: score for c, score in scores.items() if score is not None}
