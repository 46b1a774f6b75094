"""Spotting an upscaled source, to drop the rungs above its real detail (pure).

The measure: scale the source down to a candidate height and back up, and compare the round
trip with the source (PSNR of luma over sampled keyframes). A picture with no detail finer
than height H comes back from H nearly unchanged, and from any height below H clearly worse:
its round-trip PSNR *jumps* at H. A native picture loses a little more at each lower height
and climbs smoothly. So the detail height is the first candidate whose round trip is both
good (>= :data:`UPSCALE_MIN_DB`) and a jump (>= :data:`UPSCALE_JUMP_DB`) over the candidate
below it; the lowest rung is compared with :func:`reference_height` (2/3 of it).

Measured (PSNR-Y at 360/480/720 for 1080p pictures): 480p upscaled 37.5/43.4/46.1 and
39.9/45.3/47.7 (+5.9 and +5.4 dB at 480), 720p upscaled 35.9/37.0/43.1 (+6.1 dB at 720);
native: a soft talking head 37.9/40.2/43.1, the same with heavier grain 36.5/38.1/40.3,
testsrc2 34.8/35.8/37.8, with grain 33.4/34.2/36.1, a screen recording 29.3/31.4/33.9 (steps
of 3 dB at most). An absolute SSIM threshold (the first version) could not tell the soft
talking head (SSIM 0.988 through 360p) or the screen recording (0.982 through 720p) from
upscales; the jump can. PSNR and ssim are in every ffmpeg avpipe accepts (no libvmaf needed).

The rungs above the detail height are dropped; the rung at it (and below) kept.

What is compared is cheap: :func:`roundtrips_args` seeks to :data:`SAMPLE_POINTS` moments
spread over the clip and decodes only the keyframe there (``-skip_frame nokey``; a short read
after each seek, so a file in S3 is read at a few places, not whole), and every candidate is
measured in the same ffmpeg run (one ``split``). The analysis step
(:mod:`avpipe.analysis.detail`) runs it; planning reads the result as
``VideoTrack.detail_height`` (see :func:`rungs_within_detail`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from avpipe.ffmpeg.safety import input_options
from avpipe.quality.graph import escape_value

UPSCALE_JUMP_DB = 4.5  # round-trip PSNR gained at the detail height over the candidate below it
UPSCALE_MIN_DB = 40.0  # and reached there: the round trip keeps the picture
INFINITE_DB = 100.0  # a frame that comes back identical (ffmpeg writes "inf")
SAMPLE_POINTS = 8  # keyframes compared: the one at or before each of 8 moments
SAMPLE_READ_S = 0.1  # seconds read after each seek (only its keyframe is decoded)


@dataclass(frozen=True)
class UpscaleVerdict:
    detail_height: int | None  # the source's real detail level, None when it is native
    kept: tuple[int, ...]
    dropped: tuple[int, ...]
    reason: str | None  # for the manifest, when rungs are dropped


def sample_points(duration_s: float | None, count: int = SAMPLE_POINTS) -> tuple[float, ...]:
    """Where to look: ``count`` moments spread over the clip (the middles of equal parts); the start when
    the duration is unknown."""
    if not duration_s or duration_s <= 0:
        return (0.0,)
    return tuple(round(duration_s * (i + 0.5) / count, 3) for i in range(count))


def reference_height(rungs: Sequence[int]) -> int:
    """The height below the lowest rung that the lowest rung's round trip is compared with (2/3, even)."""
    return max(2, 2 * round(min(rungs) / 3))


def candidates_below(rungs: Sequence[int], width: int, height: int) -> tuple[int, ...]:
    """The heights to try: the rungs below the source's short side, and the reference below the lowest."""
    below = sorted(r for r in set(rungs) if r < min(width, height))
    return (reference_height(below), *below) if below else ()


def roundtrips_graph(candidates: Sequence[int], width: int, height: int, stats_paths: Sequence[str],
                     inputs: int = 1) -> str:
    """``-filter_complex`` for every candidate at once: the ``inputs`` sampled pictures in a row, then a
    split into one (round trip, original) pair per candidate, compared by ``psnr``."""
    joined = "".join(f"[{i}:v:0]" for i in range(inputs)) + f"concat=n={inputs}:v=1:a=0," if inputs > 1 else "[0:v:0]"
    pads = "".join(f"[a{i}][b{i}]" for i in range(len(candidates)))
    parts = [f"{joined}setpts=N,scale={width}:{height},setsar=1,format=yuv420p,split={2 * len(candidates)}{pads}"]
    for i, (candidate, stats) in enumerate(zip(candidates, stats_paths, strict=True)):
        down = f"-2:{candidate}" if width >= height else f"{candidate}:-2"  # rungs name the short side
        parts.append(f"[a{i}]scale={down}:flags=area,scale={width}:{height}:flags=bicubic[r{i}];"
                     f"[r{i}][b{i}]psnr=stats_file={escape_value(stats)}")
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


def parse_psnr_stats(text: str) -> float | None:
    """The mean luma PSNR (dB) over the frames of a psnr ``stats_file``; None when it has none."""
    values: list[float] = []
    for line in text.splitlines():
        for field in line.split():
            name, _, value = field.partition(":")
            if name == "psnr_y":
                try:
                    number = float(value)
                except ValueError:
                    continue
                values.append(INFINITE_DB if math.isinf(number) else min(number, INFINITE_DB))
    return sum(values) / len(values) if values else None


def detail_height(roundtrip_db: Mapping[int, float], jump_db: float = UPSCALE_JUMP_DB,
                  min_db: float = UPSCALE_MIN_DB) -> int | None:
    """The first height whose round trip is good and a jump over the one below; None when none is."""
    heights = sorted(roundtrip_db)
    for lower, height in zip(heights, heights[1:], strict=False):
        if roundtrip_db[height] >= min_db and roundtrip_db[height] - roundtrip_db[lower] >= jump_db:
            return height
    return None


def judge(rungs: Sequence[int], source_height: int, roundtrip_db: Mapping[int, float]) -> UpscaleVerdict:
    """Which rungs to make for a source whose round trips scored ``roundtrip_db`` (height -> PSNR dB)."""
    detail = detail_height({h: s for h, s in roundtrip_db.items() if h < source_height})
    if detail is None:
        return UpscaleVerdict(None, tuple(rungs), (), None)
    kept, reason = rungs_within_detail(rungs, detail)
    return UpscaleVerdict(detail, kept, tuple(r for r in rungs if r not in kept), reason)


def rungs_within_detail(rungs: Sequence[int], detail: int | None) -> tuple[tuple[int, ...], str | None]:
    """The rungs to make for a source with real detail up to ``detail`` (None: native), and why others go."""
    if detail is None:
        return tuple(rungs), None
    kept = tuple(r for r in rungs if r <= detail) or (min(rungs),)
    dropped = [r for r in rungs if r not in kept]
    if not dropped:
        return kept, None
    return kept, (f"the source is an upscale with no detail beyond {detail}p (scaling it to {detail}p and back "
                  f"loses almost nothing), so {', '.join(f'{r}p' for r in dropped)} would add nothing and "
                  f"{'is' if len(dropped) == 1 else 'are'} not made")
