"""Reading a remote file by HTTP ranges, as a seekable binary file object.

MediaInfo analyses a file-like object by reading buffers and asking to seek (to the
``moov`` atom at the end of an MP4, say), so feeding it a :class:`RangedHttpFile`
analyses an object in S3 through its presigned URL while fetching only the blocks
MediaInfo asks for. This needs nothing from libmediainfo's own URL support (which
depends on a libcurl being present at run time).
"""

from __future__ import annotations

import io
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from avpipe.errors import BadInputError, TransientError

log = logging.getLogger(__name__)
DEFAULT_BLOCK = 512 * 1024
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")

Opener = Callable[..., Any]  # urllib.request.urlopen-like: (request, timeout=...) -> response


class RangedHttpFile(io.RawIOBase):
    """A read-only, seekable view of ``url`` that fetches ``block``-sized ranges on demand."""

    def __init__(self, url: str, *, block: int = DEFAULT_BLOCK, opener: Opener | None = None,
                 timeout_s: float = 30.0) -> None:
        super().__init__()
        self.url = url
        self.block = block
        self.timeout_s = timeout_s
        self._open = opener or urllib.request.urlopen
        self._position = 0
        self._cache_start = 0
        self._cache = b""
        self.requests = 0  # ranged GETs made so far
        self.bytes_fetched = 0
        first, total = self._fetch(0, block)
        self.size = total
        self._cache = first

    @property
    def mode(self) -> str:
        return "rb"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._position
        wanted = min(size, max(0, self.size - self._position))
        parts = []
        while wanted > 0:
            chunk = self._from_cache(self._position, wanted)
            if not chunk:
                self._cache, _ = self._fetch(self._position, max(self.block, wanted))
                self._cache_start = self._position
                chunk = self._from_cache(self._position, wanted)
                if not chunk:
                    break
            parts.append(chunk)
            self._position += len(chunk)
            wanted -= len(chunk)
        return b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _from_cache(self, position: int, wanted: int) -> bytes:
        offset = position - self._cache_start
        if 0 <= offset < len(self._cache):
            return self._cache[offset : offset + wanted]
        return b""

    def _fetch(self, start: int, length: int) -> tuple[bytes, int]:
        """GET ``length`` bytes from ``start``; returns them and the object's total size."""
        request = urllib.request.Request(self.url, headers={"Range": f"bytes={start}-{start + length - 1}"})
        try:
            with self._open(request, timeout=self.timeout_s) as response:
                data: bytes = response.read()
                total = _total_size(response.headers.get("Content-Range"), response.status, start, len(data))
        except urllib.error.HTTPError as exc:
            if exc.code == 416:
                return b"", start
            if exc.code in (403, 404):
                raise BadInputError(f"The file could not be read for analysis (HTTP {exc.code}).") from exc
            raise TransientError(f"Reading the file for analysis failed (HTTP {exc.code}).") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            log.warning("ranged read for analysis failed: %s", exc)  # never the URL or its host in a reason
            raise TransientError("Reading the file for analysis failed (network error or timeout).") from exc
        self.requests += 1
        self.bytes_fetched += len(data)
        if start > 0 and total == len(data):  # a server that ignores Range sent everything
            data = data[start : start + length]
        return data, total


def _total_size(content_range: str | None, status: int, start: int, received: int) -> int:
    if status == 206 and content_range:
        match = _CONTENT_RANGE.match(content_range)
        if match and match.group(3) != "*":
            return int(match.group(3))
    if status == 200:  # whole object returned
        return received
    return start + received


def is_http_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))
