"""Talking to the web app in tests: a server on 127.0.0.1 with a free port, and a plupload-style client."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from avpipe.config import Settings
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.web.app import WebApp
from avpipe.web.server import build_app, serve_in_thread
from avpipe.web.settings import WebSettings
from avpipe.web.worker import PipelineWorker

CHUNK = 64 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ApiServer:
    """The HTTP side only: the worker exists (for retries) but its threads do not run."""

    url: str
    app: WebApp
    worker: PipelineWorker
    runtime: LocalRuntime

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> Reply:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def post_chunk(self, name: str, data: bytes, chunk: int | None = None, chunks: int | None = None, *,
                   total: int | None = None, token: str | None = None) -> Reply:
        fields = {"name": name}
        if chunk is not None:
            fields["chunk"] = str(chunk)
        if chunks is not None:
            fields["chunks"] = str(chunks)
        if total is not None:
            fields["total"] = str(total)
        body, content_type = multipart(fields, data)
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["X-Avpipe-Token"] = token
        return self.request("POST", "/upload", body, headers)


def multipart(fields: dict[str, str], data: bytes, filename: str = "blob") -> tuple[bytes, str]:
    """A multipart/form-data body as plupload sends it: fields first, then the file part."""
    boundary = f"----avpipe{uuid.uuid4().hex}"
    out = bytearray()
    for key, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def serve_app(tmp_path: Path, web: WebSettings) -> Iterator[ApiServer]:
    settings = Settings(data_dir=tmp_path / "data", workers=1, watch_quiet_s=0.2)
    runtime = LocalRuntime.from_settings(settings)
    app, worker = build_app(runtime, web)
    server, thread, (host, port) = serve_in_thread(app, host="127.0.0.1", port=0)
    try:
        yield ApiServer(f"http://{host}:{port}", app, worker, runtime)
    finally:
        server.should_exit = True
        thread.join(10)
