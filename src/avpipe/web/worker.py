"""The pipeline next to the web app: the watch loop, the sweep of abandoned uploads, retries.

Uploads are processed exactly as ``avpipe watch`` does it; work on one asset name runs
one at a time (a video and its caption file share the name and the manifest).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from avpipe.errors import AvpipeError
from avpipe.keys import INPUTS, AssetKeys
from avpipe.manifest.model import Status
from avpipe.manifest.repository import load_manifest
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.pipeline.retry import retry_source
from avpipe.watch import Watcher
from avpipe.web.tus import TusUploads
from avpipe.web.uploads import ChunkedUploads, UploadConflict

log = logging.getLogger(__name__)


class AssetNotFound(LookupError):
    """No asset of that name (answered with 404)."""


class PipelineWorker:
    """Runs the watcher and the upload sweep in background threads until :meth:`stop`."""

    def __init__(self, runtime: LocalRuntime, uploads: ChunkedUploads, *, poll_s: float = 1.0,
                 sweep_every_s: float = 60.0) -> None:
        self.runtime = runtime
        self.uploads = uploads
        self.sweep_every_s = sweep_every_s
        self.watcher = Watcher.from_settings(runtime.watch, self._process, runtime.settings, poll_s=poll_s)
        self._names: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.runtime.watch.put(INPUTS + ".keep", b"")  # so the folder exists for people to drop files into
        for target, name in ((self.watcher.run, "avpipe-watch"), (self._sweep_loop, "avpipe-sweep")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking new work and wait for running jobs to finish."""
        self._stopped.set()
        self.watcher.stop()
        for thread in self._threads:
            thread.join(timeout_s)

    def retry(self, name: str) -> str:
        """Put a failed asset's upload back into ``inputs/`` (from ``original/`` if it is gone)."""
        manifest = load_manifest(self.runtime.public, name)
        if manifest is None:
            raise AssetNotFound(name)
        if manifest.status is not Status.FAILED:
            raise UploadConflict(f"{name} is {manifest.status}; only failed assets can be retried.")
        source = retry_source(self.runtime.watch, self.runtime.public, name, new_version=True)
        log.info("retry of %s requested: %s queued again", name, source)
        return source

    def _process(self, key: str) -> object:
        with self._lock_for(AssetKeys.for_input(key).name):
            return self.runtime.process_key(key)

    def _lock_for(self, name: str) -> threading.Lock:
        with self._guard:
            return self._names.setdefault(name, threading.Lock())

    def _sweep_loop(self) -> None:
        while not self._stopped.wait(self.sweep_every_s):
            _guarded(self.uploads.sweep, "sweeping abandoned uploads")
            _guarded(TusUploads(self.uploads.store, self.uploads.settings).sweep, "sweeping abandoned tus uploads")


def _guarded(action: Callable[[], object], what: str) -> None:
    try:
        action()
    except (OSError, AvpipeError) as exc:  # a storage hiccup or a hostile name must not end the loop
        log.error("%s failed: %s", what, exc)
