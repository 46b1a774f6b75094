"""The routes of the web app on Starlette. Each one parses the request, calls a module, formats the answer.

Starlette does the routing, HEAD, the file responses (:mod:`avpipe.web.files`) and the error
plumbing; python-multipart parses uploads (:mod:`avpipe.web.form`); uvicorn serves it
(:mod:`avpipe.web.server`). Blocking store calls run in Starlette's thread pool.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from avpipe.errors import AvpipeError, ConfigurationError
from avpipe.keys import ORIGINAL, PUBLIC_FOLDERS, check_key
from avpipe.storage.base import Store
from avpipe.storage.s3 import S3Store
from avpipe.web.direct import DirectUploads
from avpipe.web.files import error_response, file_response, json_response
from avpipe.web.form import BodyTimeout, PayloadTooLarge, read_form, spool_body
from avpipe.web.guard import GuardMiddleware
from avpipe.web.labels import edit_labels, parse_labels
from avpipe.web.library import AssetQuery, Library
from avpipe.web.removal import delete_asset
from avpipe.web.settings import WebSettings
from avpipe.web.tus import TUS_EXTENSIONS, TUS_VERSION, TusUploads, VersionMismatch, parse_metadata
from avpipe.web.tus import number as tus_number
from avpipe.web.uploads import (
    ChunkedUploads,
    UnsupportedKind,
    UploadConflict,
    UploadRejected,
    UploadTooLarge,
    parse_chunk_request,
    upload_owner,
)
from avpipe.web.worker import AssetNotFound, PipelineWorker

log = logging.getLogger(__name__)
FORM_OVERHEAD = 1024 * 1024  # multipart headers and fields around a chunk
PAGES = {"/": "index.html", "/library": "library.html"}
_TEXT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MAX_JSON_BODY = 64 * 1024


class Unauthorised(UploadRejected):
    status = 401


class LengthRequired(UploadRejected):
    status = 411


class TooManyUploads(UploadRejected):
    status = 429


class WebApp:
    def __init__(self, public: Store, uploads: ChunkedUploads, library: Library, worker: PipelineWorker | None,
                 settings: WebSettings) -> None:
        self.public = public
        self.uploads = uploads
        self.library = library
        self.worker = worker
        self.settings = settings
        self.tus = TusUploads(uploads.store, settings)
        self._uploading: dict[str, int] = {}  # client address -> upload bodies being received
        self.direct = DirectUploads(uploads.store, settings) if isinstance(uploads.store, S3Store) else None
        self.static = Path(str(resources.files("avpipe.web") / "static"))
        routes = [
            Route("/", self.page, methods=["GET"]),
            Route("/library", self.page, methods=["GET"]),
            Route("/asset/{name:path}", self.asset_page, methods=["GET"]),
            Route("/static/{file}", self.static_file, methods=["GET"]),
            Route("/api/config", self.config, methods=["GET"]),
            Route("/api/openapi.json", self.openapi, methods=["GET"]),
            Route("/api/assets", self.assets, methods=["GET"]),
            Route("/api/assets/{name:path}/retry", self.retry, methods=["POST"]),
            Route("/api/assets/{name:path}", self.asset, methods=["GET"]),
            Route("/api/assets/{name:path}", self.delete_asset, methods=["DELETE"]),
            Route("/api/assets/{name:path}", self.edit_asset, methods=["PATCH"]),
            Route("/api/direct", self.direct_create, methods=["POST"]),
            Route("/api/direct/complete", self.direct_complete, methods=["POST"]),
            Route("/api/direct/abort", self.direct_abort, methods=["POST"]),
            Route("/upload", self.upload, methods=["POST"]),
            Route("/upload", self.upload_cancel, methods=["DELETE"]),
            Route("/upload/status", self.upload_status, methods=["GET"]),
            Route("/files/{key:path}", self.public_file, methods=["GET"]),
            Route("/tus/", self.tus_options, methods=["OPTIONS"]),
            Route("/tus/", self.tus_create, methods=["POST"]),
            Route("/tus/{upload_id}", self.tus_options, methods=["OPTIONS"]),
            Route("/tus/{upload_id}", self.tus_head, methods=["HEAD"]),
            Route("/tus/{upload_id}", self.tus_patch, methods=["PATCH"]),
            Route("/tus/{upload_id}", self.tus_delete, methods=["DELETE"]),
        ]
        handlers = {
            UploadRejected: self._rejected, AssetNotFound: self._not_found, FileNotFoundError: self._not_found,
            ConfigurationError: self._misconfigured, AvpipeError: self._bad_input, OSError: self._storage_failed,
            HTTPException: self._http_error, ClientDisconnect: self._disconnected,
        }
        self.asgi = Starlette(routes=routes, exception_handlers=handlers,
                              middleware=[Middleware(GuardMiddleware, allowed_hosts=settings.hosts,
                                                     configured=settings.allowed_hosts)])

    # --- pages and static files --------------------------------------------------------
    def page(self, request: Request) -> Response:
        return self._static(PAGES[request.url.path])

    def asset_page(self, request: Request) -> Response:
        return self._static("asset.html")

    def static_file(self, request: Request) -> Response:
        return self._static(request.path_params["file"])

    def _static(self, filename: str) -> Response:
        path = self.static / filename
        if "/" in filename or filename.startswith(".") or not path.is_file():
            raise FileNotFoundError(filename)
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if filename.endswith(".html"):
            headers["Content-Security-Policy"] = self._csp()
        return FileResponse(path, headers=headers,
                            media_type=_TEXT_TYPES.get(path.suffix) or "application/octet-stream")

    def _csp(self) -> str:
        extra = f" {self.settings.public_base_url}" if self.settings.public_base_url else ""
        return (f"default-src 'self'; img-src 'self' data:{extra}; media-src 'self'{extra}; "
                "script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'")

    # --- API -------------------------------------------------------------------------
    def openapi(self, request: Request) -> Response:
        return FileResponse(self.static / "openapi.json", media_type="application/json",
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    def config(self, request: Request) -> Response:
        return json_response({"chunk_size": self.settings.chunk_bytes, "max_upload": self.settings.max_upload_bytes,
                              "accepted": list(self.settings.accepted_extensions),
                              "token_required": self.settings.token is not None,
                              "private": self.settings.private, "direct": self.direct is not None})

    def assets(self, request: Request) -> Response:
        self._authorise_read(request)
        params = dict(request.query_params)
        if not params:
            return json_response(self.library.assets())  # every asset, as before
        page = self.library.page(AssetQuery.from_params(params))
        headers = {"X-Total-Count": str(page.total)}
        if page.next_cursor:
            following = request.url.include_query_params(cursor=page.next_cursor)
            headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
        return json_response(page.items, headers=headers)

    def asset(self, request: Request) -> Response:
        self._authorise_read(request)
        name = request.path_params["name"]
        view = self.library.asset(name)
        if view is None:
            raise AssetNotFound(name)
        return json_response(view)

    def delete_asset(self, request: Request) -> Response:
        self._authorise(request)
        removed = delete_asset(self.library.watch, self.public, request.path_params["name"])
        return json_response({"name": request.path_params["name"], "removed": removed})

    async def edit_asset(self, request: Request) -> Response:
        self._authorise(request)
        body = await self._json_body(request)
        name = request.path_params["name"]
        await run_in_threadpool(edit_labels, self.public, name, parse_labels(body))
        view = await run_in_threadpool(self.library.asset, name)
        return json_response(view)

    async def _json_body(self, request: Request) -> Any:
        _content_length(request, MAX_JSON_BODY)
        try:
            return await request.json()
        except ValueError as exc:
            raise UploadRejected("The body must be JSON.") from exc

    async def _direct_call(self, request: Request, action: str) -> Response:
        self._authorise(request)
        if self.direct is None:
            raise FileNotFoundError("direct uploads need S3 stores")
        body = await self._json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise UploadRejected("Send a JSON object with the file's name.")
        if action == "create":
            size = body.get("size")
            if not isinstance(size, int):
                raise UploadRejected("size must be the file's size in bytes.")
            return json_response(await run_in_threadpool(self.direct.create, body["name"], size), 201)
        upload_id = str(body.get("upload_id") or "")
        if action == "complete":
            return json_response(await run_in_threadpool(self.direct.complete, body["name"], upload_id,
                                                         body.get("parts")))
        await run_in_threadpool(self.direct.abort, body["name"], upload_id)
        return json_response({"aborted": True})

    async def direct_create(self, request: Request) -> Response:
        return await self._direct_call(request, "create")

    async def direct_complete(self, request: Request) -> Response:
        return await self._direct_call(request, "complete")

    async def direct_abort(self, request: Request) -> Response:
        return await self._direct_call(request, "abort")

    def retry(self, request: Request) -> Response:
        self._authorise(request)
        if self.worker is None:
            raise ConfigurationError("No pipeline worker runs next to this web app.")
        name = request.path_params["name"]
        return json_response({"name": name, "queued": self.worker.retry(name)}, 202)

    async def upload(self, request: Request) -> Response:
        self._authorise(request)
        _content_length(request, self.settings.max_upload_bytes + FORM_OVERHEAD)
        with self._upload_slot(request):
            return await self._store_upload(request)

    @contextlib.contextmanager
    def _upload_slot(self, request: Request) -> Iterator[None]:
        client = request.client.host if request.client else ""
        if self._uploading.get(client, 0) >= self.settings.max_uploads_per_client:
            raise TooManyUploads("Too many uploads from this address at once; wait for one to finish.")
        self._uploading[client] = self._uploading.get(client, 0) + 1  # one event loop: no lock needed
        try:
            yield
        finally:
            self._uploading[client] -= 1
            if not self._uploading[client]:
                del self._uploading[client]

    async def _store_upload(self, request: Request) -> Response:
        form = await read_form(request.stream(), request.headers.get("content-type", ""),
                               file_limit=self.settings.max_upload_bytes, folder=self.uploads.temp_folder,
                               read_timeout_s=self.settings.body_timeout_s)
        try:
            if form.file_path is None:
                raise UploadRejected("The upload has no file field.")
            client = request.client.host if request.client else ""
            chunk = parse_chunk_request(form.fields, form.file_name, self.settings, client)
            result = await run_in_threadpool(self.uploads.store_chunk, chunk, form.file_path, form.file_size)
        finally:
            if form.file_path is not None:
                form.file_path.unlink(missing_ok=True)
        return json_response(result.to_dict())

    def upload_status(self, request: Request) -> Response:
        self._authorise(request)
        return json_response(self.uploads.status(request.query_params.get("name", "")))

    def upload_cancel(self, request: Request) -> Response:
        self._authorise(request)
        owner = upload_owner(request.query_params.get("upload_id", ""), request.client.host if request.client else "")
        return json_response({"removed": self.uploads.cancel(request.query_params.get("name", ""), owner)})

    def public_file(self, request: Request) -> Response:
        key = check_key(request.path_params["key"])
        if not key.startswith(PUBLIC_FOLDERS) or (key.startswith(ORIGINAL) and not self.settings.serve_originals):
            raise FileNotFoundError(key)
        self._authorise_read(request)
        return file_response(request, self.public, key)

    # --- tus 1.0 (core, creation, termination) ----------------------------------------
    def _tus_headers(self, **extra: str) -> dict[str, str]:
        return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}

    def _tus_check(self, request: Request) -> None:
        self._authorise(request)
        if request.headers.get("tus-resumable") != TUS_VERSION:
            raise VersionMismatch(f"Only tus {TUS_VERSION} is spoken here (header Tus-Resumable).")

    def tus_options(self, request: Request) -> Response:
        return Response(status_code=204, headers=self._tus_headers(
            **{"Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS,
               "Tus-Max-Size": str(self.settings.max_upload_bytes)}))

    def tus_create(self, request: Request) -> Response:
        self._tus_check(request)
        upload = self.tus.create(tus_number(request.headers, "upload-length"),
                                 parse_metadata(request.headers.get("upload-metadata", "")))
        return Response(status_code=201, headers=self._tus_headers(Location=f"/tus/{upload.id}"))

    def tus_head(self, request: Request) -> Response:
        self._tus_check(request)
        upload = self.tus.get(request.path_params["upload_id"])
        return Response(status_code=200, headers=self._tus_headers(
            **{"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length)}))

    async def tus_patch(self, request: Request) -> Response:
        self._tus_check(request)
        if request.headers.get("content-type") != "application/offset+octet-stream":
            raise UnsupportedKind("A tus PATCH must be sent as application/offset+octet-stream.")
        offset = tus_number(request.headers, "upload-offset")
        upload = await run_in_threadpool(self.tus.get, request.path_params["upload_id"])
        if offset != upload.offset:
            raise UploadConflict(f"Upload-Offset {offset} does not match the stored {upload.offset}.")
        with self._upload_slot(request):
            path, size, complete = await spool_body(request.stream(), limit=upload.length - offset,
                                                    folder=self.uploads.temp_folder,
                                                    read_timeout_s=self.settings.body_timeout_s)
        try:
            done = await run_in_threadpool(self.tus.append, upload, offset, path, size)
        finally:
            path.unlink(missing_ok=True)
        if not complete:
            log.debug("tus upload %s: the client went away at offset %d", upload.id, done.offset)
        return Response(status_code=204, headers=self._tus_headers(**{"Upload-Offset": str(done.offset)}))

    def tus_delete(self, request: Request) -> Response:
        self._tus_check(request)
        self.tus.terminate(self.tus.get(request.path_params["upload_id"]))
        return Response(status_code=204, headers=self._tus_headers())

    # --- access ----------------------------------------------------------------------
    def _authorise_read(self, request: Request) -> None:
        if self.settings.private:
            self._authorise(request)

    def _authorise(self, request: Request) -> None:
        expected = self.settings.token
        if expected is None:
            return
        given = request.headers.get("x-avpipe-token") or ""
        bearer = request.headers.get("authorization") or ""
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            raise Unauthorised("A valid access token is required (header X-Avpipe-Token).")

    # --- errors ----------------------------------------------------------------------
    def _error(self, request: Request, status: int, message: str) -> Response:
        headers = {"Connection": "close"} if request.method in WRITE_METHODS else None  # the body may be unread
        return error_response(status, message, headers)

    def _rejected(self, request: Request, exc: Exception) -> Response:
        return self._error(request, getattr(exc, "status", 400), str(exc))

    def _not_found(self, request: Request, exc: Exception) -> Response:
        return self._error(request, 404, "Not found.")

    def _misconfigured(self, request: Request, exc: Exception) -> Response:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return self._error(request, 500, str(exc))

    def _bad_input(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, BodyTimeout):
            return self._error(request, 408, str(exc))
        if isinstance(exc, PayloadTooLarge):
            return self._error(request, 413, str(exc))
        return self._error(request, 400, str(exc))

    def _storage_failed(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("%s %s: the disk is full", request.method, request.url.path)
            return self._error(request, 507, "The server's storage is full; the upload was not kept. "
                                             "Try again later.")
        log.error("%s %s: storage failed: %s", request.method, request.url.path, exc)
        return self._error(request, 500, "The server could not read or write its storage.")

    def _http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        message = {404: "Not found.", 405: "Method not allowed."}.get(status, "The request was refused.")
        return self._error(request, status, message)

    def _disconnected(self, request: Request, exc: Exception) -> Response:
        log.debug("%s %s: the client went away", request.method, request.url.path)
        return Response(status_code=499)


def _content_length(request: Request, limit: int) -> int:
    raw = request.headers.get("content-length")
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise LengthRequired("The upload needs a Content-Length header.")
    length = int(raw)
    if length > limit:
        raise UploadTooLarge(f"The request is {length} bytes; the limit is {limit}.")
    return length
