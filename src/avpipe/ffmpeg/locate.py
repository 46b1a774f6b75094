"""Locate a capable ffmpeg: ``AVPIPE_FFMPEG``, else ``ffmpeg`` on ``PATH``, else the imageio-ffmpeg wheel.

An ffmpeg on ``PATH`` is used only when it is recent enough and has what avpipe needs
(:mod:`avpipe.ffmpeg.capabilities`); otherwise one warning says why it is skipped and the
wheel's build is used. An explicit ``AVPIPE_FFMPEG`` that is not enough is a configuration
error: the user asked for that binary.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping

from avpipe.config import ENV_FFMPEG
from avpipe.errors import ConfigurationError
from avpipe.ffmpeg.capabilities import MIN_VERSION, inspect

log = logging.getLogger(__name__)
_warned: set[str] = set()


def find_ffmpeg(environ: Mapping[str, str] | None = None) -> str:
    """Return the path of the ffmpeg executable to use."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_FFMPEG)
    if explicit:
        return _explicit(explicit)
    on_path = shutil.which("ffmpeg", path=env.get("PATH"))
    if on_path:
        problems = inspect(on_path).shortcomings()
        if not problems:
            return on_path
        _warn_once(on_path, problems)
    return wheel_ffmpeg()


def wheel_ffmpeg() -> str:
    """The ffmpeg that the imageio-ffmpeg wheel carries."""
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


def _explicit(name: str) -> str:
    resolved = shutil.which(name)
    if resolved is None:
        raise ConfigurationError(f"{ENV_FFMPEG}={name!r} is not an executable ffmpeg.")
    problems = inspect(resolved).shortcomings()
    if problems:
        raise ConfigurationError(f"{ENV_FFMPEG}={name!r} cannot be used: {'; '.join(problems)} "
                                 f"(avpipe needs ffmpeg {_minimum()} or newer with libx264).")
    return resolved


def _warn_once(path: str, problems: list[str]) -> None:
    if path in _warned:
        return
    _warned.add(path)
    log.warning("skipping the ffmpeg on PATH (%s): %s; avpipe needs %s or newer with libx264, "
                "so it uses the ffmpeg of the imageio-ffmpeg package instead", path, "; ".join(problems), _minimum())


def _minimum() -> str:
    return ".".join(map(str, MIN_VERSION))
