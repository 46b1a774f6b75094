"""The watch loop: process every complete file that appears under ``inputs/``.

Stands in for the S3 ObjectCreated trigger. A file is taken once its size and version
have stayed the same for one poll (other programs may still be copying it in); at most
``workers`` files are processed at a time. Failed uploads stay in ``inputs/`` and are
retried only when they change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from avpipe.keys import INPUTS, is_ignored
from avpipe.storage.base import ObjectInfo, Store

log = logging.getLogger(__name__)


class Watcher:
    def __init__(self, watch: Store, handle: Callable[[str], object], *, workers: int, poll_s: float = 1.0) -> None:
        self.watch = watch
        self.handle = handle
        self.poll_s = poll_s
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="avpipe-worker")
        self.stop_event = threading.Event()
        self._pending: dict[str, str | None] = {}  # key -> version seen on the previous poll
        self._running: dict[str, Future[object]] = {}
        self._done: dict[str, str | None] = {}  # key -> version already processed

    def run(self) -> None:
        """Poll until :meth:`stop` is called (or the process is interrupted)."""
        log.info("watching %s%s with %d worker(s)", self.watch.url, INPUTS, self.pool._max_workers)
        try:
            while not self.stop_event.is_set():
                self.poll_once()
                self.stop_event.wait(self.poll_s)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        self.stop_event.set()

    def poll_once(self) -> list[str]:
        """Start work on every stable, new file; return the keys started."""
        self._reap()
        seen: dict[str, str | None] = {}
        started = []
        for info in self.watch.list(INPUTS):
            if is_ignored(info.key) or info.key in self._running:
                continue
            version = _version(info)
            seen[info.key] = version
            if self._done.get(info.key) == version or self._pending.get(info.key) != version:
                continue  # already handled, or still changing (or first sighting)
            self._running[info.key] = self.pool.submit(self._work, info.key, version)
            started.append(info.key)
        self._pending = seen
        # keep what running work recorded: a job that ends during this poll must not run again
        self._done = {k: v for k, v in self._done.items() if k in seen or k in self._running}
        return started

    def idle(self) -> bool:
        self._reap()
        return not self._running

    def _work(self, key: str, version: str | None) -> object:
        try:
            return self.handle(key)
        finally:
            self._done[key] = version

    def _reap(self) -> None:
        for key, future in list(self._running.items()):
            if future.done():
                del self._running[key]
                if future.exception() is not None:
                    log.error("worker for %s crashed: %s", key, future.exception())


def _version(info: ObjectInfo) -> str | None:
    return info.etag or f"{info.size}"
