"""Refuse MP4/QuickTime files whose media lives elsewhere, by reading their boxes first.

A QuickTime movie may keep its samples in another file or at a URL: a data reference
(``dref``) entry that is not self-contained (``alis``, ``rsrc``, ``url `` or ``urn ``
without flag 1), an Avid path (``code/sean/RU*A``), or a reference movie (``rmra``).
MediaInfo follows such references, so they are refused before any tool opens the file. Only the box headers on the path
``moov/trak/mdia/minf/dinf/dref`` (and ``meta``) are read, never the media data, so a
file in S3 costs a few ranged reads.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from avpipe.errors import UnsupportedMediaError

ReadAt = Callable[[int, int], bytes]  # (offset, length) -> the bytes there (fewer at the end)

# Box types seen at the top of MP4/QuickTime/3GP files: a file starting with one is parsed.
TOP_LEVEL = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp",
                       b"sidx", b"moof", b"mfra", b"meta", b"pdin", b"junk", b"PICT", b"prfl"})
_DESCEND = frozenset({b"moov", b"trak", b"mdia", b"minf", b"dinf", b"meta"})
_REFERENCE_MOVIES = frozenset({b"rmra", b"rmda", b"rdrf"})
_SELF_CONTAINED = 0x000001  # dref entry flag: the data is in this file
MAX_DREF_BYTES = 64 * 1024
MAX_BOXES = 200_000
MAX_DEPTH = 8

_EXTERNAL = ("The file's media lives in another file or at a URL (a QuickTime data reference); "
             "upload a self-contained movie.")


def looks_like_isobmff(head: bytes) -> bool:
    """Whether the file starts with an MP4/QuickTime box."""
    if len(head) < 8:
        return False
    size = struct.unpack(">I", head[:4])[0]
    return head[4:8] in TOP_LEVEL and (size in (0, 1) or size >= 8)


def refuse_external_references(read: ReadAt, size: int) -> None:
    """Raise UnsupportedMediaError when the movie refers to data outside itself."""
    if looks_like_isobmff(read(0, 16)):
        _Walker(read).walk(0, size, depth=0)


class _Walker:
    def __init__(self, read: ReadAt) -> None:
        self.read = read
        self.boxes = 0

    def walk(self, start: int, end: int, depth: int) -> None:
        offset = start
        while offset + 8 <= end:
            kind, header, box_end = self._header(offset, end, top=depth == 0)
            self.boxes += 1
            if self.boxes > MAX_BOXES or depth > MAX_DEPTH:
                raise UnsupportedMediaError("The file's MP4/QuickTime structure is too deeply nested or too large.")
            if kind in _REFERENCE_MOVIES:
                raise UnsupportedMediaError("The file is a QuickTime reference movie, which points to other "
                                            "movies; upload the media itself.")
            if kind == b"cmov":
                raise UnsupportedMediaError("The file has a compressed QuickTime movie header, which is not "
                                            "supported; re-save the movie.")
            if kind == b"dref":
                self._dref(offset + header, box_end)
            elif kind == b"code":  # Avid's minf/code/sean/RU*A names the file holding the media
                self._avid_code(offset + header, box_end)
            elif kind in _DESCEND:
                body = offset + header + (self._full_box_skip(offset + header) if kind == b"meta" else 0)
                self.walk(body, box_end, depth + 1)
            offset = box_end

    def _header(self, offset: int, end: int, *, top: bool) -> tuple[bytes, int, int]:
        raw = self.read(offset, 16)
        if len(raw) < 8:
            return b"", 8, end
        size, kind = struct.unpack(">I4s", raw[:8])
        header = 8
        if size == 1:
            if len(raw) < 16:
                return kind, 16, end
            size, header = struct.unpack(">Q", raw[8:16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header:
            raise UnsupportedMediaError("The file's MP4/QuickTime structure is damaged (a box with an impossible "
                                        "size).")
        if offset + size > end and not top:
            raise UnsupportedMediaError("The file's MP4/QuickTime structure is damaged (a box overruns its parent).")
        return kind, header, min(offset + size, end)  # a top-level box cut short: a truncated upload

    def _full_box_skip(self, body: int) -> int:
        """ISO ``meta`` carries version and flags before its children; QuickTime's does not."""
        return 0 if self.read(body + 4, 4) == b"hdlr" else 4

    def _avid_code(self, body: int, end: int) -> None:
        if end - body > MAX_DREF_BYTES or b"RU*A" in self.read(body, end - body):
            raise UnsupportedMediaError(_EXTERNAL)

    def _dref(self, body: int, end: int) -> None:
        if end - body > MAX_DREF_BYTES:
            raise UnsupportedMediaError("The file's QuickTime data references are implausibly large.")
        data = self.read(body, end - body)
        offset = 8  # version+flags, entry count
        while offset + 12 <= len(data):
            size, _kind, flags = struct.unpack(">I4sI", data[offset:offset + 12])
            if not flags & _SELF_CONTAINED:
                raise UnsupportedMediaError(_EXTERNAL)
            if size < 12:
                raise UnsupportedMediaError("The file's MP4/QuickTime structure is damaged (a data reference with "
                                            "an impossible size).")
            offset += size


__all__ = ["ReadAt", "looks_like_isobmff", "refuse_external_references"]
