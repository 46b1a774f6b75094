"""``avpipe serve``: the Starlette app served by uvicorn, plus the pipeline worker.

uvicorn runs in a background thread on a socket bound here (``port=0``: any free port);
the worker runs in its own threads, as ``avpipe watch`` does - request handlers never
transcode. Slow or idle clients cannot exhaust the server: a connection that has not sent
a whole request head within ``header_timeout_s`` is closed, an idle keep-alive connection
after ``keep_alive_s``, an upload body that stalls gets 408 (see :mod:`avpipe.web.form`),
and beyond ``max_connections`` connections uvicorn answers 503.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from avpipe.config import ENV_ALLOWED_HOSTS, ENV_PUBLIC_URL, ENV_WATCH_URL, Settings
from avpipe.errors import ConfigurationError
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.web.app import WebApp
from avpipe.web.form import sweep_stale
from avpipe.web.guard import host_name
from avpipe.web.library import Library, ProgressBoard
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import ChunkedUploads
from avpipe.web.worker import PipelineWorker

log = logging.getLogger(__name__)
MAX_HEAD = 32 * 1024  # a request head arriving in pieces is cut off past this


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (uvicorn has none of its own)."""

    head_timeout_s = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            log.debug("closing a connection that sent no request within %.0f s", self.head_timeout_s)
            self.transport.close()


def protocol_for(web: WebSettings) -> type[H11Protocol]:
    return type("AvpipeH11Protocol", (HeadTimeoutProtocol,), {"head_timeout_s": web.header_timeout_s})


@dataclass
class RunningApp:
    """A started web app and worker; ``url`` is where it listens."""

    server: uvicorn.Server
    worker: PipelineWorker | None
    app: WebApp
    thread: threading.Thread
    address: tuple[str, int]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        if self.worker is not None:
            self.worker.stop()


def build_app(runtime: LocalRuntime, settings: WebSettings, *, poll_s: float = 1.0) -> tuple[WebApp, PipelineWorker]:
    """Wire the web app and the worker around one local runtime; finish what a crash left behind."""
    progress = ProgressBoard(runtime.public, runtime.watch)
    runtime.progress = progress
    uploads = ChunkedUploads(runtime.watch, settings)
    removed = sweep_stale(uploads.temp_folder, older_than_s=2 * settings.body_timeout_s)
    if removed:
        log.info("removed %d temporary upload file(s) left by an earlier run", removed)
    uploads.recover()
    worker = PipelineWorker(runtime, uploads, poll_s=poll_s)
    library = Library(runtime.watch, runtime.public, progress, settings.public_base_url,
                      serve_originals=settings.serve_originals)
    return WebApp(runtime.public, uploads, library, worker, settings), worker


def app_from_env() -> WebApp:
    """The web app of one server process of ``serve --web-workers N`` (settings from the environment)."""
    web = WebSettings.from_env(os.environ)
    HeadTimeoutProtocol.head_timeout_s = web.header_timeout_s
    app, _ = build_app(LocalRuntime.from_settings(Settings.from_env(os.environ)), web)
    return app


def asgi_from_env() -> Any:
    return app_from_env().asgi


def serve_processes(settings: Settings, web: WebSettings, *, processes: int, host: str = "127.0.0.1",
                    port: int = 8000, poll_s: float = 1.0, on_ready: Any = None) -> None:
    """``serve --web-workers N``: N uvicorn processes on one socket, the worker in this one; blocks
    until SIGINT/SIGTERM. The processes share nothing in memory: uploads, their locks and job
    progress live in the stores (a local data folder: the lock files need one filesystem)."""
    if settings.resolved_watch_url.startswith("s3://") and processes > 1:
        raise ConfigurationError("Several web processes need local stores (their upload locks are lock files).")
    web = _with_host(web, host)
    runtime = LocalRuntime.from_settings(settings)
    app, worker = build_app(runtime, web, poll_s=poll_s)  # recovery and clean-up once, before the processes
    os.environ.update({ENV_WATCH_URL: settings.resolved_watch_url, ENV_PUBLIC_URL: settings.resolved_public_url})
    if web.allowed_hosts:
        os.environ[ENV_ALLOWED_HOSTS] = ",".join(web.allowed_hosts)
    sock = _bind(host, port)
    config = uvicorn.Config("avpipe.web.server:asgi_from_env", factory=True, workers=processes,
                            http="avpipe.web.server:HeadTimeoutProtocol", lifespan="off", log_config=None,
                            access_log=False, limit_concurrency=web.max_connections,
                            timeout_keep_alive=int(max(1, web.keep_alive_s)), server_header=False,
                            h11_max_incomplete_event_size=MAX_HEAD)
    worker.start()
    try:
        if on_ready is not None:
            address = sock.getsockname()
            on_ready(f"http://{'[' + address[0] + ']' if ':' in address[0] else address[0]}:{address[1]}")
        Multiprocess(config, sockets=[sock]).run()
    finally:
        worker.stop()


def _with_host(web: WebSettings, host: str) -> WebSettings:
    if host not in ("", "0.0.0.0", "::") and host_name(host) not in web.hosts:
        return dataclasses.replace(web, allowed_hosts=(*web.allowed_hosts, host_name(host)))
    return web


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve_in_thread(app: WebApp, *, host: str = "127.0.0.1", port: int = 0) -> tuple[uvicorn.Server,
                                                                                    threading.Thread,
                                                                                    tuple[str, int]]:
    """uvicorn serving ``app`` from a background thread; returns once it accepts connections."""
    web = app.settings
    sock = _bind(host, port)
    address: Any = sock.getsockname()
    config = uvicorn.Config(app.asgi, http=protocol_for(web), lifespan="off", log_config=None, access_log=False,
                            limit_concurrency=web.max_connections, timeout_keep_alive=int(max(1, web.keep_alive_s)),
                            timeout_graceful_shutdown=5, server_header=False, h11_max_incomplete_event_size=MAX_HEAD)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="avpipe-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The web server did not start.")
        time.sleep(0.01)
    return server, thread, (str(address[0]), int(address[1]))


def start(settings: Settings, web: WebSettings, *, host: str = "127.0.0.1", port: int = 8000,
          poll_s: float = 1.0) -> RunningApp:
    """Start the worker and the HTTP server in background threads (``port=0``: any free port)."""
    web = _with_host(web, host)
    app, worker = build_app(LocalRuntime.from_settings(settings), web, poll_s=poll_s)
    worker.start()
    server, thread, address = serve_in_thread(app, host=host, port=port)
    running = RunningApp(server, worker, app, thread, address)
    log.info("avpipe web app on %s", running.url)
    return running
