"""Refuse files that point at other files before any tool opens them.

Playlists and reference formats (HLS, ffconcat, DASH manifests, IMF/DCP composition
playlists, SMIL, plain playlists) make MediaInfo and ffmpeg open further files or URLs:
an upload must never make avpipe read anything but itself. They are recognised by
their first bytes (whatever the extension), and by the container MediaInfo reports.
"""

from __future__ import annotations

import re

from avpipe.errors import BadInputError, UnsupportedMediaError

HEAD_BYTES = 4096
_SIGNATURES = (
    (re.compile(rb"^\s*#EXTM3U", re.I), "an HLS/M3U playlist"),
    (re.compile(rb"^\s*ffconcat\s+version", re.I), "an ffmpeg concat list"),
    (re.compile(rb"^\s*\[playlist\]", re.I), "a PLS playlist"),
    (re.compile(rb"^\s*#EXTINF", re.I), "an M3U playlist"),
    (re.compile(rb"<\s*(?:\w+:)?MPD[\s>]", re.I), "a DASH manifest"),
    (re.compile(rb"<\s*(?:\w+:)?CompositionPlaylist[\s>]", re.I), "an IMF/DCP composition playlist"),
    (re.compile(rb"<\s*smil[\s>]", re.I), "a SMIL presentation"),
    (re.compile(rb"<\s*(?:ASX|WPL)\b", re.I), "a Windows Media playlist"),
)
REFERENCE_CONTAINERS = frozenset({"HLS", "DASH MPD", "DCP CPL", "DCP PKL", "DCP AM", "IMF CPL", "IMF AM", "ISM",
                                  "SMIL", "P2 Clip", "XDCAM Clip", "SequenceInfo"})


def screen_head(head: bytes) -> None:
    """Refuse, from its first bytes alone, an upload no tool should open: empty, or a reference file."""
    if not head:
        raise BadInputError("The file is empty (0 bytes).")
    refuse_references(head)


def refuse_references(head: bytes) -> None:
    """Raise UnsupportedMediaError when the file starts like a playlist or reference file."""
    sample = head[:HEAD_BYTES].lstrip(b"\xef\xbb\xbf")
    for pattern, what in _SIGNATURES:
        if pattern.search(sample):
            raise UnsupportedMediaError(f"The file is {what}, which refers to other files; upload the media itself.")


def refuse_reference_container(container: str | None) -> None:
    if container in REFERENCE_CONTAINERS:
        raise UnsupportedMediaError(
            f"The file is a {container} reference file, which points to other files; upload the media itself."
        )
