"""Spotting an upscaled source, to drop the rungs above its real detail (pure).

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

What is compared is cheap: :func:`roundtrips_args` seeks to :data:`SAMPLE_POINTS` moments
spread over the clip and decodes only the keyframe there (``-skip_frame nokey``; a short read
after each seek, so a file in S3 is read at a few places, not whole), and every candidate is
measured in the same ffmpeg run (one ``split``). The
analysis step (:mod:`avpipe.analysis.detail`) runs it; planning reads the result as
``VideoTrack.detail_height`` (see :func:`rungs_within_detail`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from avpipe.ffmpeg.safety import input_options
from avpipe.quality.graph import escape_value

UPSCALE_SSIM = 0.98
SAMPLE_FRAMES = 50  # frames compared, spread over the clip (every n-th frame), by roundtrip_graph
SAMPLE_POINTS = 8  # keyframes compared by roundtrips_args: the one at or before each of 8 moments
SAMPLE_READ_S = 0.1  # seconds read after each seek (only its keyframe is decoded)


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


def sample_points(duration_s: float | None, count: int = SAMPLE_POINTS) -> tuple[float, ...]:
    """Where to look: ``count`` moments spread over the clip (the middles of equal parts); the start when
    the duration is unknown."""
    if not duration_s or duration_s <= 0:
        return (0.0,)
    return tuple(round(duration_s * (i + 0.5) / count, 3) for i in range(count))


def roundtrips_graph(candidates: Sequence[int], width: int, height: int, stats_paths: Sequence[str],
                     inputs: int = 1) -> str:
    """``-filter_complex`` for every candidate at once: the ``inputs`` sampled pictures in a row, then a
    split into one (round trip, original) pair per candidate."""
    joined = "".join(f"[{i}:v:0]" for i in range(inputs)) + f"concat=n={inputs}:v=1:a=0," if inputs > 1 else "[0:v:0]"
    pads = "".join(f"[a{i}][b{i}]" for i in range(len(candidates)))
    parts = [f"{joined}setpts=N,scale={width}:{height},setsar=1,format=yuv420p,split={2 * len(candidates)}{pads}"]
    for i, (candidate, stats) in enumerate(zip(candidates, stats_paths, strict=True)):
        down = f"-2:{candidate}" if width >= height else f"{candidate}:-2"
        parts.append(f"[a{i}]scale={down}:flags=area,scale={width}:{height}:flags=bicubic[r{i}];"
                     f"[r{i}][b{i}]ssim=stats_file={escape_value(stats)}")
    return ";".join(parts)


def roundtrips_args(source_path: str, candidates: Sequence[int], width: int, height: int,
                    stats_paths: Sequence[str], duration_s: float | None = None) -> list[str]:
    """ffmpeg arguments (after the binary): one keyframe at each sample point (a seek, a short read, only
    keyframes decoded), every candidate's round trip in the same run."""
    points = sample_points(duration_s)
    inputs: list[str] = []
    for point in points:
        inputs += ["-skip_frame", "nokey", "-noaccurate_seek", "-ss", f"{point:g}", "-t", str(SAMPLE_READ_S),
                   *input_options(source_path), "-i", source_path]
    graph = roundtrips_graph(candidates, width, height, stats_paths, len(points))
    return [*inputs, "-filter_complex", graph, "-an", "-sn", "-dn", "-f", "null", "-"]


def candidates_below(rungs: Sequence[int], width: int, height: int) -> tuple[int, ...]:
    """The rung heights worth trying: those below the source's short side (the bigger ones are not made)."""
    return tuple(sorted(r for r in set(rungs) if r < min(width, height)))


def rungs_within_detail(rungs: Sequence[int], detail: int | None) -> tuple[tuple[int, ...], str | None]:
    """The rungs to make for a source with real detail up to ``detail`` (None: native), and why others go."""
    if detail is None:
        return tuple(rungs), None
    kept = tuple(r for r in rungs if r <= detail) or (min(rungs),)
    dropped = [r for r in rungs if r not in kept]
    if not dropped:
        return kept, None
    return kept, (f"the source is an upscale with no detail beyond {detail}p, so "
                  f"{', '.join(f'{r}p' for r in dropped)} would add nothing and {'is' if len(dropped) == 1 else 'are'}"
                  " not made")


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
