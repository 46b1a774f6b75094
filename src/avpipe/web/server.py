"""``avpipe serve``: the web app on the standard library's threading HTTP server, plus the worker.

The standard library keeps ``pip install avpipe`` enough to run it; the app needs a
handful of routes, a streaming form reader and range responses, all small.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from avpipe.config import Settings
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.web.app import WebApp
from avpipe.web.library import Library, ProgressBoard
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import ChunkedUploads
from avpipe.web.worker import PipelineWorker

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server: AppServer
    protocol_version = "HTTP/1.1"
    server_version = "avpipe"

    def do_GET(self) -> None:  # noqa: N802 - the names http.server dispatches to
        self._answer("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        try:
            response = self.server.app.handle(self, method)
            if method in ("POST", "DELETE") and response.status >= 400:
                self.close_connection = True  # the body may be unread: do not reuse the connection
                response.headers["Connection"] = "close"
            response.send(self, head_only=method == "HEAD")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (players cancel range requests often)
        except Exception:
            log.exception("%s %s failed", method, self.path)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)


class AppServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: WebApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


@dataclass
class RunningApp:
    """A started web app and worker; ``url`` is where it listens."""

    server: AppServer
    worker: PipelineWorker
    app: WebApp
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.worker.stop()
        self.thread.join(10)


def build_app(runtime: LocalRuntime, settings: WebSettings, *, poll_s: float = 1.0) -> tuple[WebApp, PipelineWorker]:
    """Wire the web app and the worker around one local runtime."""
    progress = ProgressBoard(runtime.public)
    runtime.progress = progress
    uploads = ChunkedUploads(runtime.watch, settings)
    worker = PipelineWorker(runtime, uploads, poll_s=poll_s)
    library = Library(runtime.watch, runtime.public, progress, settings.public_base_url)
    return WebApp(runtime.public, uploads, library, worker, settings), worker


def start(settings: Settings, web: WebSettings, *, host: str = "127.0.0.1", port: int = 8000,
          poll_s: float = 1.0) -> RunningApp:
    """Start the worker and the HTTP server in background threads (``port=0``: any free port)."""
    app, worker = build_app(LocalRuntime.from_settings(settings), web, poll_s=poll_s)
    server = AppServer((host, port), app)
    worker.start()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="avpipe-web",
                              daemon=True)
    thread.start()
    running = RunningApp(server, worker, app, thread)
    log.info("avpipe web app on %s", running.url)
    return running
