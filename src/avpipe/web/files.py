"""Serving stored files: Starlette's FileResponse (ranges, If-Range, ETag, Last-Modified) plus
If-None-Match -> 304, and the rule that uploaded bytes are never served with an active type.

Only the kinds avpipe writes itself are served with their own type (MP4/MP3/M4A renditions,
JPEG thumbnails, WebVTT captions, JSON manifests); anything else - every ``original/`` and any
other file found in a public folder - goes out as an ``application/octet-stream`` attachment.
Every file carries ``nosniff`` and ``Content-Security-Policy: sandbox; default-src 'none'``,
so even a file a browser did render would run no script in the app's origin.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from avpipe.keys import ORIGINAL
from avpipe.storage.base import Store

BLOCK = 1024 * 1024
MAX_RANGE_HEADER = 200  # longer Range headers (5000-digit numbers) are refused with 400
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
                "Cache-Control": "no-cache", "Referrer-Policy": "same-origin"}
PASSIVE_TYPES = {  # what avpipe writes, by extension: no type a browser runs script in
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json; charset=utf-8",
    # the CMAF stream avpipe packages (playlists and manifests it writes itself, never an upload's bytes;
    # every file also carries the sandbox CSP above)
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".cmfv": "video/mp4",
    ".cmfa": "audio/mp4",
}
DOWNLOAD_TYPE = "application/octet-stream"


def served_type(key: str) -> tuple[str, bool]:
    """(Content-Type, as an attachment?) for a public key."""
    if key.startswith(ORIGINAL):
        return DOWNLOAD_TYPE, True
    kind = PASSIVE_TYPES.get(posixpath.splitext(key)[1].lower())
    return (kind, False) if kind else (DOWNLOAD_TYPE, True)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status, {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                   **(headers or {})}, media_type="application/json; charset=utf-8")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": {"status": status, "message": message}}, status, headers)


def file_response(request: Request, store: Store, key: str) -> Response:
    """A stored file, whole (200), one range (206), 304 when the client has it, 416 past the end."""
    if len(request.headers.get("range", "")) > MAX_RANGE_HEADER:
        return error_response(400, "The Range header is too long.")
    media_type, attachment = served_type(key)
    headers = dict(FILE_HEADERS)
    if attachment:
        name = posixpath.basename(key)
        headers["Content-Disposition"] = "attachment; filename*=utf-8''" + _quote(name)
    local = getattr(store, "path", None)
    if local is None:
        return _streamed(store, key, media_type, headers)
    path = local(key)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise FileNotFoundError(key) from exc
    if not os.path.isfile(path):
        raise FileNotFoundError(key)
    response = FileResponse(path, headers=headers, media_type=media_type, stat_result=info)
    if _not_modified(request, response):
        return Response(status_code=304, headers={k: v for k, v in response.headers.items()
                                                  if k in ("etag", "last-modified", "cache-control")})
    return response


def _not_modified(request: Request, response: Response) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is None:
        return False
    etag = response.headers["etag"]
    tags = [tag.strip().removeprefix("W/") for tag in wanted.split(",")]
    return "*" in tags or etag in tags


def _streamed(store: Store, key: str, media_type: str, headers: dict[str, str]) -> Response:
    """A store without local paths (S3): the whole file, streamed (links normally point at the bucket)."""
    info = store.stat(key)
    if info.etag:
        headers["ETag"] = f'"{info.etag}"'
    headers["Content-Length"] = str(info.size)
    headers["Accept-Ranges"] = "none"
    return StreamingResponse(_blocks(store, key, info.size), media_type=media_type, headers=headers)


def _blocks(store: Store, key: str, size: int) -> Iterator[bytes]:
    position = 0
    while position < size:
        data = store.read_bytes(key, position, min(BLOCK, size - position))
        if not data:
            return
        position += len(data)
        yield data


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
