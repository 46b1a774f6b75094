"""Pure planning of a VMAF measurement: the filter graph and the reading of libvmaf's log.

The rendition is compared with its source at the source's *display* size: ffmpeg's
autorotate turns the decoded source upright (as the renditions are), the source's pixel
aspect is corrected by scaling to its display width and height, and the rendition is
upscaled (bicubic, as VMAF's authors do) to the same size. Interlaced sources are
deinterlaced like the renditions were; a source above the renditions' frame rate is
resampled to theirs, so the frames compared are the same moments.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from avpipe.analysis.facts import VideoTrack
from avpipe.errors import BadInputError
from avpipe.ffmpeg.safety import input_options

DEFAULT_MODEL = "vmaf_v0.6.1"  # libvmaf's default model (the filter's default "version=vmaf_v0.6.1")
_INTERLACED = ("interlaced", "mbaff", "paff")


@dataclass(frozen=True)
class VmafScore:
    """VMAF of one rendition: the mean and the 5th percentile over its frames."""

    mean: float
    p5: float
    frames: int
    width: int  # the size compared at: the source's display size
    height: int
    model: str = DEFAULT_MODEL

    def to_dict(self) -> dict[str, Any]:
        return {"vmaf_mean": round(self.mean, 2), "vmaf_p5": round(self.p5, 2), "frames": self.frames,
                "width": self.width, "height": self.height, "model": self.model}


def comparison_size(source: VideoTrack) -> tuple[int, int]:
    """The even display size of the source, which both sides are scaled to."""
    return _even(source.display_width), _even(source.display_height)


def filter_graph(source: VideoTrack, log_path: str, *, rendition_rate: float | None = None, threads: int = 0,
                 subsample: int = 1) -> str:
    """The ``-filter_complex`` graph: input 0 is the rendition (distorted), input 1 the source.

    ``subsample`` > 1 scores every n-th frame only (libvmaf's ``n_subsample``): the benchmark's
    way to keep VMAF affordable; ``avpipe quality`` scores every frame."""
    width, height = comparison_size(source)
    common = f"scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p"
    reference = [common]
    if (source.scan_type or "").lower() in _INTERLACED:
        reference.insert(0, "yadif")
    if rendition_rate and source.frame_rate and source.frame_rate > rendition_rate + 0.01:
        reference.append(f"fps={rendition_rate:g}")
    options = f"log_fmt=json:log_path={escape_value(log_path)}"
    if threads > 0:
        options += f":n_threads={threads}"
    if subsample > 1:
        options += f":n_subsample={subsample}"
    return (f"[0:v]{common},setpts=PTS-STARTPTS[dist];"
            f"[1:v]{','.join(reference)},setpts=PTS-STARTPTS[ref];"
            f"[dist][ref]libvmaf={options}")


def vmaf_args(source_path: str, rendition_path: str, source: VideoTrack, log_path: str, *,
              rendition_rate: float | None = None, threads: int = 0, subsample: int = 1) -> list[str]:
    """ffmpeg arguments (after the binary) that write libvmaf's per-frame log to ``log_path``."""
    graph = filter_graph(source, log_path, rendition_rate=rendition_rate, threads=threads, subsample=subsample)
    return [*input_options(rendition_path), "-i", rendition_path, *input_options(source_path), "-i", source_path,
            "-filter_complex", graph, "-an", "-sn", "-f", "null", "-"]


def parse_log(text: str, width: int, height: int) -> VmafScore:
    """The score from libvmaf's JSON log (``frames[].metrics.vmaf``)."""
    try:
        frames = json.loads(text)["frames"]
        values = sorted(float(frame["metrics"]["vmaf"]) for frame in frames)
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInputError("VMAF could not be read from libvmaf's log.") from exc
    if not values:
        raise BadInputError("VMAF had no frames to compare.")
    return VmafScore(sum(values) / len(values), percentile(values, 5), len(values), width, height)


def percentile(ordered: list[float], pct: float) -> float:
    """Linear-interpolated percentile of already sorted values (numpy's default method)."""
    position = (len(ordered) - 1) * pct / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def escape_value(value: str) -> str:
    """``value`` as a filter option inside a filter graph (both of ffmpeg's escaping levels)."""
    option = "".join("\\" + ch if ch in "\\':" else ch for ch in value)
    return "".join("\\" + ch if ch in "\\'[],;" else ch for ch in option)


def _even(value: int) -> int:
    return max(2, value - value % 2)
