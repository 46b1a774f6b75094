"""Refuse files that point at other files before any tool opens them.

Playlists and reference formats (HLS, ffconcat, DASH manifests, IMF/DCP composition
playlists, SMIL, plain playlists) make MediaInfo and ffmpeg open further files or URLs:
an upload must never make avpipe read anything but itself. They are recognised by
their first bytes (whatever the extension), and by the container MediaInfo reports.
An XML upload is read whole (in bounded windows): a DASH manifest hidden behind a long
comment is still a DASH manifest to MediaInfo.
"""

from __future__ import annotations

import re

from avpipe.analysis.isobmff import ReadAt
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
    (re.compile(rb"^\x030010111100101011"), "a Pro Tools session"),
    (re.compile(rb"^\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "an AAF or other compound document"),
)
# Root elements of XML formats that name other files or URLs (DASH, IMF/DCP, Smooth Streaming,
# SMIL, P2/XDCAM clips, XSPF and Windows Media playlists), wherever they appear in the file.
_XML_REFERENCES = re.compile(
    rb"<\s*(?:[\w.-]+:)?(MPD|CompositionPlaylist|PackingList|AssetMap|SmoothStreamingMedia|smil|P2Main"
    rb"|NonRealTimeMeta|SequenceInfo|indexFile|ASX|WPL|playlist)[\s>/]", re.I)
_XML_NAMES = {b"mpd": "a DASH manifest", b"compositionplaylist": "an IMF/DCP composition playlist",
              b"packinglist": "a DCP packing list", b"assetmap": "a DCP asset map",
              b"smoothstreamingmedia": "a Smooth Streaming manifest", b"smil": "a SMIL presentation",
              b"p2main": "a P2 clip description", b"nonrealtimemeta": "an XDCAM clip description",
              b"sequenceinfo": "a sequence description", b"indexfile": "a DXW index",
              b"asx": "a Windows Media playlist",
              b"wpl": "a Windows Media playlist", b"playlist": "an XML playlist"}
XML_WINDOW = 1024 * 1024
_XML_OVERLAP = 256  # longer than any signature, so none is split between two windows
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


def looks_like_xml(head: bytes) -> bool:
    """Whether the file starts (after a BOM, blanks and UTF-16 zero bytes) with ``<``."""
    return head.replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").startswith(b"<")


def refuse_xml_references(read: ReadAt, size: int) -> None:
    """Read an XML upload whole, window by window, and refuse it if it is a reference format."""
    if not looks_like_xml(read(0, 512)):
        return
    tail = b""
    for start in range(0, size, XML_WINDOW):
        window = tail + read(start, XML_WINDOW).replace(b"\x00", b"")  # UTF-16 text read as ASCII
        match = _XML_REFERENCES.search(window)
        if match:
            what = _XML_NAMES.get(match.group(1).lower(), "a reference file")
            raise UnsupportedMediaError(f"The file is {what}, which refers to other files; upload the media itself.")
        tail = window[-_XML_OVERLAP:]


def refuse_reference_container(container: str | None) -> None:
    if container in REFERENCE_CONTAINERS:
        raise UnsupportedMediaError(
            f"The file is a {container} reference file, which points to other files; upload the media itself."
        )
