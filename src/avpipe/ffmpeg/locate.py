"""Locate ffmpeg: ``AVPIPE_FFMPEG``, else ``ffmpeg`` on ``PATH``, else the imageio-ffmpeg wheel."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping

from avpipe.config import ENV_FFMPEG
from avpipe.errors import ConfigurationError

log = logging.getLogger(__name__)


def find_ffmpeg(environ: Mapping[str, str] | None = None) -> str:
    """Return the path of the ffmpeg executable to use."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_FFMPEG)
    if explicit:
        resolved = shutil.which(explicit)
        if resolved is None:
            raise ConfigurationError(f"{ENV_FFMPEG}={explicit!r} is not an executable ffmpeg.")
        return resolved
    on_path = shutil.which("ffmpeg", path=env.get("PATH"))
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - imageio-ffmpeg is a dependency
        raise ConfigurationError(
            "ffmpeg was not found: set AVPIPE_FFMPEG, put ffmpeg on PATH or pip install imageio-ffmpeg."
        ) from exc
    try:
        path: str = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise ConfigurationError(f"imageio-ffmpeg carries no ffmpeg for this platform: {exc}") from exc
    log.debug("using ffmpeg from imageio-ffmpeg: %s", path)
    return path
