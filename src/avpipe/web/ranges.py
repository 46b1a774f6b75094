"""HTTP Range requests (RFC 9110 section 14) for serving public files, so players can seek.

Only single ranges are answered with 206; a multi-range request gets the whole file
(a server may ignore Range), which every player handles.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from dataclasses import dataclass

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json; charset=utf-8",
    ".srt": "text/plain; charset=utf-8",
}


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the file (answered with 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to send for a ``Range`` header, None for the whole file.

    Malformed or multi-range headers are ignored (whole file); a well-formed range that
    starts past the end raises RangeNotSatisfiable.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        if last and int(last) < start:
            return None  # invalid: ignore the header
        raise RangeNotSatisfiable(header)
    return ByteRange(start, end)


def content_type(key: str) -> str:
    """The Content-Type of a public file, by its extension."""
    ext = posixpath.splitext(key)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(key)[0] or "application/octet-stream"
