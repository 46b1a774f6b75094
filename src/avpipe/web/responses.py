"""Small HTTP response values and the code that writes them to a ``BaseHTTPRequestHandler``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from avpipe.storage.base import Store
from avpipe.web.ranges import ByteRange, RangeNotSatisfiable, content_type, parse_range

BLOCK = 1024 * 1024
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # needed when body is an iterator

    def send(self, handler: BaseHTTPRequestHandler, *, head_only: bool = False) -> None:
        handler.send_response(self.status)
        size = len(self.body) if isinstance(self.body, bytes) else self.length
        for name, value in {**SECURITY_HEADERS, **self.headers}.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(size or 0))
        handler.end_headers()
        if head_only:
            return
        if isinstance(self.body, bytes):
            handler.wfile.write(self.body)
        else:
            for block in self.body:
                handler.wfile.write(block)


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"})


def error_response(status: int, message: str) -> Response:
    return json_response({"error": {"status": status, "message": message}}, status)


def file_response(store: Store, key: str, range_header: str | None) -> Response:
    """A public file, whole (200) or the requested byte range (206), seekable by players."""
    info = store.stat(key)
    headers = {"Content-Type": content_type(key), "Accept-Ranges": "bytes", "Cache-Control": "no-cache"}
    if info.etag:
        headers["ETag"] = f'"{info.etag}"'
    try:
        wanted = parse_range(range_header, info.size)
    except RangeNotSatisfiable:
        return Response(416, b"", {**headers, "Content-Range": f"bytes */{info.size}"})
    if wanted is None:
        return Response(200, _blocks(store, key, ByteRange(0, info.size - 1)), headers, info.size)
    headers["Content-Range"] = wanted.content_range(info.size)
    return Response(206, _blocks(store, key, wanted), headers, wanted.length)


def _blocks(store: Store, key: str, wanted: ByteRange) -> Iterator[bytes]:
    position = wanted.start
    while position <= wanted.end:
        data = store.read_bytes(key, position, min(BLOCK, wanted.end - position + 1))
        if not data:
            return
        position += len(data)
        yield data
