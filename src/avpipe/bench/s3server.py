"""moto's S3 on 127.0.0.1 behind a WSGI wrapper that counts the bytes every request moves.

Counting at the server sees every reader alike: boto3 in the trial process, and ffmpeg or
MediaInfo reading a presigned URL. Object bytes are the bodies (as written to the socket,
64 KiB at a time) of object GETs (downloads, ranged or not) and of object PUTs (uploads and
upload parts); everything else (XML listings, copy results, headers) is counted apart as
``other``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

REGION = "us-east-1"
SLICE = 64 * 1024
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
_PRESIGN = frozenset({"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                      "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
                      "AWSAccessKeyId", "Signature", "Expires"})


@dataclass
class Traffic:
    """Totals since the server started; subtract two snapshots to get one trial's share."""

    object_bytes_read: int = 0  # GET bodies of objects
    object_bytes_written: int = 0  # PUT bodies of objects and parts
    other_bytes: int = 0  # every other request and response body
    object_gets: int = 0
    unranged_gets: int = 0  # object GETs without a Range header (they may still stop early)
    copies: int = 0  # CopyObject and UploadPartCopy requests
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {k: v for k, v in vars(self).items() if isinstance(v, int)}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


class CountingApp:
    """A WSGI middleware adding each request's body sizes to a :class:`Traffic`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        is_object = environ.get("PATH_INFO", "/").strip("/").count("/") >= 1 and not (set(query) - _PRESIGN)
        is_part = method == "PUT" and "partNumber" in query
        copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
        sent = int(environ.get("CONTENT_LENGTH") or 0)
        with self.traffic.lock:
            if copy:
                self.traffic.copies += 1
            if method == "PUT" and (is_object or is_part) and not copy:
                self.traffic.object_bytes_written += sent
            else:
                self.traffic.other_bytes += sent
            if method == "GET" and is_object:
                self.traffic.object_gets += 1
                if "HTTP_RANGE" not in environ:
                    self.traffic.unranged_gets += 1
        reading = method == "GET" and is_object
        for chunk in self.app(environ, start_response):
            for start in range(0, len(chunk), SLICE):  # counted as handed to the socket: a reader
                piece = chunk[start : start + SLICE]  # that hangs up early stops the count
                with self.traffic.lock:
                    if reading:
                        self.traffic.object_bytes_read += len(piece)
                    else:
                        self.traffic.other_bytes += len(piece)
                yield piece


@contextmanager
def counting_moto_server() -> Iterator[tuple[str, Traffic]]:
    """Start moto (threaded, 127.0.0.1, a free port) with counting; yield its URL and counters."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    traffic = Traffic()
    app = CountingApp(DomainDispatcherApplication(create_backend_app), traffic)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        thread.join()


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def new_bucket(endpoint: str, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name
