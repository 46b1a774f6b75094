"""The routes of the web app. Each one parses the request, calls a module, formats the answer."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from avpipe.errors import AvpipeError, ConfigurationError
from avpipe.keys import PUBLIC_FOLDERS, check_key
from avpipe.storage.base import Store
from avpipe.web.library import Library
from avpipe.web.multipart import read_form
from avpipe.web.ranges import content_type
from avpipe.web.responses import Response, error_response, file_response, json_response
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import ChunkedUploads, UploadRejected, UploadTooLarge, parse_chunk_request
from avpipe.web.worker import AssetNotFound, PipelineWorker

log = logging.getLogger(__name__)
FORM_OVERHEAD = 1024 * 1024  # multipart headers and fields around a chunk
PAGES = {"/": "index.html", "/library": "library.html"}


@dataclass
class Request:
    handler: BaseHTTPRequestHandler
    method: str
    path: str  # decoded
    query: dict[str, list[str]]
    match: re.Match[str]

    def header(self, name: str) -> str | None:
        return self.handler.headers.get(name)

    def arg(self, name: str) -> str:
        return (self.query.get(name) or [""])[0]


Route = Callable[[Request], Response]


class WebApp:
    def __init__(self, public: Store, uploads: ChunkedUploads, library: Library, worker: PipelineWorker | None,
                 settings: WebSettings) -> None:
        self.public = public
        self.uploads = uploads
        self.library = library
        self.worker = worker
        self.settings = settings
        self.static = Path(str(resources.files("avpipe.web") / "static"))
        self.routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("GET", re.compile(r"^(/|/library)$"), self.page),
            ("GET", re.compile(r"^/asset/(?P<name>.+)$"), self.asset_page),
            ("GET", re.compile(r"^/static/(?P<file>[\w.-]+)$"), self.static_file),
            ("GET", re.compile(r"^/api/config$"), self.config),
            ("GET", re.compile(r"^/api/assets$"), self.assets),
            ("POST", re.compile(r"^/api/assets/(?P<name>.+)/retry$"), self.retry),
            ("GET", re.compile(r"^/api/assets/(?P<name>.+)$"), self.asset),
            ("POST", re.compile(r"^/upload$"), self.upload),
            ("GET", re.compile(r"^/upload/status$"), self.upload_status),
            ("DELETE", re.compile(r"^/upload$"), self.upload_cancel),
            ("GET", re.compile(r"^/files/(?P<key>.+)$"), self.public_file),
        ]

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> Response:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        lookup = "GET" if method == "HEAD" else method
        allowed = False
        for verb, pattern, route in self.routes:
            match = pattern.match(path)
            if match and verb == lookup:
                return self._call(route, Request(handler, method, path, parse_qs(parts.query), match))
            allowed = allowed or match is not None
        return error_response(405 if allowed else 404, "Method not allowed." if allowed else "Not found.")

    def _call(self, route: Route, request: Request) -> Response:
        try:
            return route(request)
        except UploadRejected as exc:
            return error_response(exc.status, str(exc))
        except (FileNotFoundError, AssetNotFound):
            return error_response(404, "Not found.")
        except ConfigurationError as exc:
            log.error("%s %s: %s", request.method, request.path, exc)
            return error_response(500, str(exc))
        except AvpipeError as exc:
            return error_response(400, str(exc))

    # --- pages and static files --------------------------------------------------------
    def page(self, request: Request) -> Response:
        return self._static(PAGES[request.path])

    def asset_page(self, request: Request) -> Response:
        return self._static("asset.html")

    def static_file(self, request: Request) -> Response:
        return self._static(request.match["file"])

    def _static(self, filename: str) -> Response:
        path = self.static / filename
        if not path.is_file():
            raise FileNotFoundError(filename)
        headers = {"Content-Type": _TEXT_TYPES.get(path.suffix) or content_type(filename), "Cache-Control": "no-cache"}
        if filename.endswith(".html"):
            headers["Content-Security-Policy"] = self._csp()
        return Response(200, path.read_bytes(), headers)

    def _csp(self) -> str:
        extra = f" {self.settings.public_base_url}" if self.settings.public_base_url else ""
        return (f"default-src 'self'; img-src 'self' data:{extra}; media-src 'self'{extra}; "
                "script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'")

    # --- API -------------------------------------------------------------------------
    def config(self, request: Request) -> Response:
        return json_response({"chunk_size": self.settings.chunk_bytes, "max_upload": self.settings.max_upload_bytes,
                              "accepted": list(self.settings.accepted_extensions),
                              "token_required": self.settings.token is not None})

    def assets(self, request: Request) -> Response:
        return json_response(self.library.assets())

    def asset(self, request: Request) -> Response:
        view = self.library.asset(request.match["name"])
        if view is None:
            raise AssetNotFound(request.match["name"])
        return json_response(view)

    def retry(self, request: Request) -> Response:
        self._authorise(request)
        if self.worker is None:
            raise ConfigurationError("No pipeline worker runs next to this web app.")
        key = self.worker.retry(request.match["name"])
        return json_response({"name": request.match["name"], "queued": key}, 202)

    def upload(self, request: Request) -> Response:
        self._authorise(request)
        length = _content_length(request, self.settings.max_upload_bytes + FORM_OVERHEAD)
        form = read_form(request.handler.rfile, length, request.header("Content-Type") or "",
                         file_limit=self.settings.max_upload_bytes)
        try:
            if form.file_path is None:
                raise UploadRejected("The upload has no file field.")
            chunk = parse_chunk_request(form.fields, form.file_name, self.settings)
            result = self.uploads.store_chunk(chunk, form.file_path, form.file_size)
        finally:
            if form.file_path is not None:
                form.file_path.unlink(missing_ok=True)
        return json_response(result.to_dict())

    def upload_status(self, request: Request) -> Response:
        self._authorise(request)
        return json_response(self.uploads.status(request.arg("name")))

    def upload_cancel(self, request: Request) -> Response:
        self._authorise(request)
        return json_response({"removed": self.uploads.cancel(request.arg("name"))})

    def public_file(self, request: Request) -> Response:
        key = check_key(request.match["key"])
        if not key.startswith(PUBLIC_FOLDERS):
            raise FileNotFoundError(key)
        return file_response(self.public, key, request.header("Range"))

    def _authorise(self, request: Request) -> None:
        expected = self.settings.token
        if expected is None:
            return
        given = request.header("X-Avpipe-Token") or ""
        bearer = request.header("Authorization") or ""
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            raise Unauthorised("A valid access token is required (header X-Avpipe-Token).")


class Unauthorised(UploadRejected):
    status = 401


class LengthRequired(UploadRejected):
    status = 411


def _content_length(request: Request, limit: int) -> int:
    raw = request.header("Content-Length")
    if raw is None or not raw.isdigit():
        raise LengthRequired("The upload needs a Content-Length header.")
    length = int(raw)
    if length > limit:
        raise UploadTooLarge(f"The request is {length} bytes; the limit is {limit}.")
    return length


_TEXT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
