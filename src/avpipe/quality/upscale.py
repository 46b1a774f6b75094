"""Spotting an upscaled source, to drop the rungs above its real detail (pure; not wired yet).

The measure: scale the source down to a candidate height and back up, and compare the round
trip with the source (SSIM over sampled frames). If the picture had no detail finer than
that height, nothing is lost on the way down and the round trip is nearly identical; real
detail at the full size is lost and SSIM drops. On generated 1080p clips (testsrc2, with
and without grain) the round trip through 480p gave SSIM 0.965 / 0.877 for native 1080p
and 0.992 / 0.984 for a 480p picture upscaled to 1080p, so :data:`UPSCALE_SSIM` = 0.98
separates them. SSIM (ffmpeg's ``ssim`` filter, in every build avpipe accepts, Debian's
5.1 too) is used rather than VMAF because it needs no libvmaf and costs one cheap filter.

The detail height is the smallest candidate whose round trip reaches the threshold; rungs
above it are dropped, the rung at it (and below) kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from avpipe.ffmpeg.safety import input_options
from avpipe.quality.graph import escape_value

UPSCALE_SSIM = 0.98
SAMPLE_FRAMES = 50  # frames compared, spread over the clip (every n-th frame)


@dataclass(frozen=True)
class UpscaleVerdict:
    detail_height: int | None  # the source's real detail level, None when it is native
    kept: tuple[int, ...]
    dropped: tuple[int, ...]
    reason: str | None  # for the manifest, when rungs are dropped


def roundtrip_graph(candidate_height: int, width: int, height: int, stats_path: str, every_nth: int = 1) -> str:
    """``-filter_complex`` for one candidate: per-frame SSIM of the source vs its down-and-up round trip."""
    sample = f"select=not(mod(n\\,{every_nth}))," if every_nth > 1 else ""
    down = f"-2:{candidate_height}" if width >= height else f"{candidate_height}:-2"  # rungs name the short side
    return (f"[0:v]{sample}scale={width}:{height},setsar=1,format=yuv420p,split[a][b];"
            f"[a]scale={down}:flags=area,scale={width}:{height}:flags=bicubic[rt];"
            f"[rt][b]ssim=stats_file={escape_value(stats_path)}")


def roundtrip_args(source_path: str, candidate_height: int, width: int, height: int, stats_path: str,
                   every_nth: int = 1) -> list[str]:
    """ffmpeg arguments (after the binary) for one candidate's round trip."""
    graph = roundtrip_graph(candidate_height, width, height, stats_path, every_nth)
    return [*input_options(source_path), "-i", source_path, "-filter_complex", graph, "-an", "-sn", "-f", "null", "-"]


def sample_step(frame_count: int | None) -> int:
    """Compare every n-th frame so that about :data:`SAMPLE_FRAMES` frames are measured."""
    return max(1, (frame_count or 0) // SAMPLE_FRAMES)


def parse_ssim_stats(text: str) -> float | None:
    """The mean ``All:`` SSIM over the frames of an ssim ``stats_file``; None when it has none."""
    values: list[float] = []
    for line in text.splitlines():
        _, found, rest = line.partition("All:")
        if found:
            try:
                values.append(float(rest.split()[0]))
            except (IndexError, ValueError):
                continue
    return sum(values) / len(values) if values else None


def detail_height(roundtrip_ssim: Mapping[int, float], threshold: float = UPSCALE_SSIM) -> int | None:
    """The smallest candidate height whose round trip keeps the picture; None when none does."""
    kept = [h for h, score in roundtrip_ssim.items() if score >= threshold]
    return min(kept) if kept else None


def judge(rungs: Sequence[int], source_height: int, roundtrip_ssim: Mapping[int, float],
          threshold: float = UPSCALE_SSIM) -> UpscaleVerdict:
    """Which rungs to make for a source whose round trips scored ``roundtrip_ssim`` (height -> SSIM)."""
    detail = detail_height({h: s for h, s in roundtrip_ssim.items() if h < source_height}, threshold)
    if detail is None:
        return UpscaleVerdict(None, tuple(rungs), (), None)
    kept = tuple(r for r in rungs if r <= detail) or (min(rungs),)
    dropped = tuple(r for r in rungs if r not in kept)
    reason = (f"the source is an upscale: it has no detail beyond {detail}p (SSIM {roundtrip_ssim[detail]:.3f} "
              f"after scaling to {detail}p and back), so {', '.join(f'{r}p' for r in dropped)} would add nothing"
              if dropped else None)
    return UpscaleVerdict(detail, kept, dropped, reason)
