"""What an ffmpeg build can do, and whether that is enough for avpipe.

avpipe's arguments need ffmpeg 5.1 or newer (``-fps_mode`` appeared in 5.1; Debian 12 ships
5.1, Ubuntu 24.04 6.1) with the encoders, filters and muxers listed here. Reading a build's
facts costs three short ``ffmpeg`` runs, so they are cached per executable file.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache

MIN_VERSION = (5, 1)
ENCODERS = ("libx264", "aac", "libmp3lame", "mjpeg")
FILTERS = ("scale", "pad", "setsar", "format", "fps", "yadif", "split", "null")
MUXERS = ("mp4", "mp3", "image2")
_VERSION = re.compile(r"ffmpeg version n?(\d+)\.(\d+)")
_PROBE_TIMEOUT_S = 20


@dataclass(frozen=True)
class FfmpegBuild:
    """The facts of one ffmpeg executable; ``version`` is None for builds that do not say (git)."""

    version: tuple[int, int] | None
    version_text: str
    encoders: frozenset[str]
    filters: frozenset[str]
    muxers: frozenset[str]

    def shortcomings(self) -> list[str]:
        """Why this build is not enough for avpipe, one phrase each; empty when it is."""
        problems: list[str] = []
        if self.version is not None and self.version < MIN_VERSION:
            problems.append(f"version {self.version_text} is older than {'.'.join(map(str, MIN_VERSION))}")
        for kind, needed, have in (("encoder", ENCODERS, self.encoders), ("filter", FILTERS, self.filters),
                                   ("muxer", MUXERS, self.muxers)):
            missing = [name for name in needed if name not in have]
            if missing:
                problems.append(f"it lacks the {kind}{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        return problems


def parse_version(banner: str) -> tuple[tuple[int, int] | None, str]:
    """``(major, minor)`` and the version word from ``ffmpeg -version``'s first line."""
    first = banner.splitlines()[0] if banner else ""
    words = first.split()
    text = words[2] if len(words) > 2 and words[:2] == ["ffmpeg", "version"] else "unknown"
    match = _VERSION.match(first)
    return ((int(match[1]), int(match[2])) if match else None), text


def parse_names(listing: str) -> frozenset[str]:
    """The names in ``ffmpeg -encoders`` / ``-filters`` / ``-muxers`` output (the second column)."""
    names: set[str] = set()
    for line in listing.splitlines():
        words = line.split()
        if len(words) >= 2 and not line.startswith(" ="):
            names.update(words[1].split(","))  # muxers list aliases as "mov,mp4,..."
    return frozenset(names)


def inspect(path: str) -> FfmpegBuild:
    """The facts of the ffmpeg at ``path`` (cached while the file is unchanged)."""
    stat = os.stat(path)
    return _inspect(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _inspect(path: str, _mtime_ns: int, _size: int) -> FfmpegBuild:
    version, text = parse_version(_ask(path, "-version"))
    return FfmpegBuild(version, text, parse_names(_ask(path, "-encoders")), parse_names(_ask(path, "-filters")),
                       parse_names(_ask(path, "-muxers")))


def _ask(path: str, flag: str) -> str:
    try:
        proc = subprocess.run([path, "-hide_banner", flag], capture_output=True, text=True, errors="replace",
                              timeout=_PROBE_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout if flag != "-version" else proc.stdout or proc.stderr
