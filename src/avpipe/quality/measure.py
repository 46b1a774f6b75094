"""Running a VMAF measurement with an ffmpeg that has libvmaf (thin: the plan is in ``graph``)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from avpipe.analysis.facts import VideoTrack
from avpipe.errors import ConfigurationError
from avpipe.ffmpeg.capabilities import inspect
from avpipe.ffmpeg.locate import wheel_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.quality.graph import VmafScore, comparison_size, parse_log, vmaf_args

log = logging.getLogger(__name__)
VMAF_FILTER = "libvmaf"


@dataclass(frozen=True)
class VmafFfmpeg:
    """The ffmpeg that measures VMAF, and why it is not the one in use (None when it is)."""

    path: str
    note: str | None = None


def has_libvmaf(path: str) -> bool:
    """Whether the ffmpeg at ``path`` was built with the libvmaf filter."""
    return VMAF_FILTER in inspect(path).filters


def vmaf_ffmpeg(current: str, *, fallback: Callable[[], str] = wheel_ffmpeg) -> VmafFfmpeg:
    """``current`` when it has libvmaf, else the imageio-ffmpeg wheel's build (which has it).

    Debian's and Ubuntu's ffmpeg packages are built without libvmaf; the note says so in
    one sentence, for the command line to show.
    """
    if has_libvmaf(current):
        return VmafFfmpeg(current)
    version = inspect(current).version_text
    other = fallback()
    if other != current and has_libvmaf(other):
        note = (f"The ffmpeg in use ({version}) has no libvmaf filter, so VMAF is measured with "
                "the imageio-ffmpeg package's ffmpeg.")
        log.info("%s", note)
        return VmafFfmpeg(other, note)
    raise ConfigurationError(f"The ffmpeg in use ({version}) has no libvmaf filter and neither has imageio-ffmpeg's;"
                             " VMAF needs an ffmpeg built with libvmaf (set AVPIPE_FFMPEG to one).")


def measure_rendition(
    runner: FfmpegRunner, source_path: str, source: VideoTrack, rendition_path: str, *,
    rendition_rate: float | None = None, threads: int = 0, subsample: int = 1,
) -> VmafScore:
    """VMAF of the rendition at ``rendition_path`` against the source at its display size."""
    width, height = comparison_size(source)
    with tempfile.TemporaryDirectory(prefix="avpipe-vmaf-") as tmp:
        log_path = str(Path(tmp) / "vmaf.json")
        runner.run(vmaf_args(source_path, rendition_path, source, log_path, rendition_rate=rendition_rate,
                             threads=threads, subsample=subsample))
        return parse_log(Path(log_path).read_text(encoding="utf-8"), width, height)
