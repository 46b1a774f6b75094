"""Finding and running the ffmpeg binary (argument lists only, never a shell)."""

from avpipe.ffmpeg.locate import find_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner

__all__ = ["FfmpegRunner", "find_ffmpeg"]
