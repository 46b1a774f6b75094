"""The watch loop: process every complete file that appears under ``inputs/``.

Stands in for the S3 ObjectCreated trigger. Other programs may still be copying a file in,
so a file is taken only once it is *quiet*: the same size and version for ``quiet_s``
seconds and over ``stable_polls`` polls, and (where the platform can tell: a Linux read
lease, refused while any process has the file open for writing) no longer open for
writing. The pipeline checks the version again before it publishes and before it removes
the upload. At most ``workers`` files are processed at a time.

Nothing stops the loop: a listing that fails is tried on the next poll; a file whose name
no upload may have (control characters, backslashes, bytes that are not UTF-8, look-alike
tricks) is refused and logged once per version; an upload whose handling raised (its
failure could not even be recorded, e.g. on a full disk) or that failed for a transient
reason is tried again later, with backoff. Other failed uploads stay in ``inputs/`` and are
retried only when they change. Temporary files that killed runs left are removed at
start-up and then every few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from avpipe.config import DEFAULT_WATCH_QUIET_S, DEFAULT_WATCH_STABLE_POLLS, Settings
from avpipe.errors import BadInputError
from avpipe.keys import CAPTION_EXTENSIONS, INPUTS, AssetKeys, is_ignored
from avpipe.manifest.model import Manifest, Status
from avpipe.retrying import RetryPolicy
from avpipe.storage.base import ObjectInfo, Store

log = logging.getLogger(__name__)
LATER = RetryPolicy(base_s=30.0, cap_s=900.0)  # transient failures: tried again after 30 s, 60 s ... 15 min
MAX_LATER_TRIES = 8  # then `avpipe retry` (about 2 h of trying in all)
SWEEP_EVERY_S = 300.0  # temporary files of killed runs


@dataclass(frozen=True)
class _Sighting:
    version: str | None
    polls: int  # consecutive polls that saw this version
    since: float  # monotonic time this version was first seen


@dataclass(frozen=True)
class _Later:
    due: float  # monotonic time of the next try
    tries: int


class Watcher:
    def __init__(self, watch: Store, handle: Callable[[str], object], *, workers: int, poll_s: float = 1.0,
                 quiet_s: float = DEFAULT_WATCH_QUIET_S, stable_polls: int = DEFAULT_WATCH_STABLE_POLLS,
                 clock: Callable[[], float] = time.monotonic, later: RetryPolicy = LATER) -> None:
        self.watch = watch
        self.handle = handle
        self.poll_s = poll_s
        self.quiet_s = quiet_s
        self.stable_polls = max(1, stable_polls)
        self.clock = clock
        self.later = later
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="avpipe-worker")
        self.stop_event = threading.Event()
        self._seen: dict[str, _Sighting] = {}
        self._running: dict[str, Future[object]] = {}
        self._names: dict[str, str] = {}  # running key -> its asset name: one upload per asset at a time
        self._done: dict[str, str | None] = {}  # key -> version already handled (or refused)
        self._later: dict[str, _Later] = {}  # key -> when to try a transient failure again
        self._lock = threading.Lock()  # guards _done and _later, which workers write

    @classmethod
    def from_settings(cls, watch: Store, handle: Callable[[str], object], settings: Settings, *,
                      poll_s: float = 1.0) -> Watcher:
        return cls(watch, handle, workers=settings.workers, poll_s=poll_s, quiet_s=settings.watch_quiet_s,
                   stable_polls=settings.watch_stable_polls)

    def run(self) -> None:
        """Poll until :meth:`stop` is called (or the process is interrupted)."""
        log.info("watching %s%s with %d worker(s)", self.watch.url, INPUTS, self.pool._max_workers)
        next_sweep = self.clock()
        try:
            while not self.stop_event.is_set():
                if self.clock() >= next_sweep:
                    _guarded(self.watch.sweep_temporary, "removing temporary files")
                    next_sweep = self.clock() + SWEEP_EVERY_S
                _guarded(self.poll_once, f"listing {self.watch.url}/{INPUTS}")
                self.stop_event.wait(self.poll_s)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        self.stop_event.set()

    def poll_once(self) -> list[str]:
        """Start work on every quiet, new file (or one due to be tried again); return the keys started."""
        self._reap()
        now = self.clock()
        seen: dict[str, _Sighting] = {}
        started = []
        for info in sorted(self.watch.list(INPUTS), key=_captions_first):
            if is_ignored(info.key) or info.key in self._running:
                continue
            version = _version(info)
            sighting = self._sighting(info.key, version, now)
            seen[info.key] = sighting
            if self._handled(info.key, version, now) or not self._quiet(sighting, now):
                continue
            asset = self._asset(info.key, version)
            if asset is None or asset in self._names.values() or self.watch.being_written(info.key):
                continue  # refused; or another upload of the same asset runs (talk.mp4 + talk.srt); or being copied
            self._running[info.key] = self.pool.submit(self._work, info.key, version)
            self._names[info.key] = asset
            started.append(info.key)
        self._seen = seen
        with self._lock:
            for key in [k for k in self._done if k not in seen and k not in self._running]:
                del self._done[key]
                self._later.pop(key, None)
        return started

    def idle(self) -> bool:
        self._reap()
        return not self._running

    def _sighting(self, key: str, version: str | None, now: float) -> _Sighting:
        before = self._seen.get(key)
        if before is not None and before.version == version:
            return _Sighting(version, before.polls + 1, before.since)
        return _Sighting(version, 1, now)

    def _quiet(self, sighting: _Sighting, now: float) -> bool:
        return sighting.polls >= self.stable_polls and now - sighting.since >= self.quiet_s

    def _handled(self, key: str, version: str | None, now: float) -> bool:
        with self._lock:
            if self._done.get(key, ...) != version:
                return False
            later = self._later.get(key)
            return later is None or later.due > now

    def _asset(self, key: str, version: str | None) -> str | None:
        """The asset name of an upload; a name no upload may have is refused here, before anything
        is made from it (logged once), and is None."""
        try:
            return AssetKeys.for_input(key).name
        except BadInputError as exc:
            log.error("upload %r refused: %s", key, exc)
            with self._lock:
                self._done[key] = version
            return None

    def _work(self, key: str, version: str | None) -> object:
        result: object = None
        try:
            result = self.handle(key)
        except Exception as exc:  # the worker never dies; the upload is tried again later
            log.error("upload %s could not be handled (%s); it is tried again later", key, exc)
            self._try_later(key, True)
        else:
            self._try_later(key, _transient_failure(result))
        finally:
            with self._lock:
                self._done[key] = version
        return result

    def _try_later(self, key: str, again: bool) -> None:
        with self._lock:
            tries = self._later.pop(key).tries if key in self._later else 0
            if not again:
                return
            if tries >= MAX_LATER_TRIES:
                log.error("upload %s still fails after %d tries; `avpipe retry` runs it again", key, tries + 1)
                return
            self._later[key] = _Later(self.clock() + self.later.delay(tries), tries + 1)

    def _reap(self) -> None:
        for key, future in list(self._running.items()):
            if future.done():
                del self._running[key]
                self._names.pop(key, None)
                if future.exception() is not None:
                    log.error("worker for %s crashed: %s", key, future.exception())


def _captions_first(info: ObjectInfo) -> tuple[bool, str]:
    """Caption files are taken before media (each asset's uploads run one at a time): a video
    then finds its captions published and carries them in its stream as subtitle renditions."""
    return not info.key.lower().endswith(CAPTION_EXTENSIONS), info.key


def _transient_failure(result: object) -> bool:
    return (isinstance(result, Manifest) and result.status is Status.FAILED and result.error is not None
            and result.error.category == "transient")


def _guarded(action: Callable[[], object], what: str) -> None:
    try:
        action()
    except Exception as exc:  # a storage hiccup must not end the loop; the next round tries again
        log.error("%s failed: %s", what, exc)


def _version(info: ObjectInfo) -> str | None:
    return info.etag or f"{info.size}"
