"""The watch loop runs each version of an upload once, even when its job ends during a poll."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from avpipe.storage.base import ObjectInfo
from avpipe.storage.local import LocalStore
from avpipe.watch import Watcher


class _FinishDuringList(LocalStore):
    """Lets the running job finish while the watcher is in the middle of listing inputs/."""

    before_list: list[object] = []

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        for hook in self.before_list:
            hook()  # type: ignore[operator]
        yield from super().list(prefix)


def test_a_job_that_finishes_mid_poll_is_not_run_again(tmp_path: Path) -> None:
    store = _FinishDuringList(tmp_path)
    store.put("inputs/a.mp4", b"data")
    release = threading.Event()
    calls: list[str] = []

    def handle(key: str) -> None:
        release.wait(5)
        calls.append(key)

    watcher = Watcher(store, handle, workers=1, poll_s=0, quiet_s=0, stable_polls=2)
    try:
        assert watcher.poll_once() == []  # first sighting
        assert watcher.poll_once() == ["inputs/a.mp4"]  # stable: started, now blocked in handle
        future = watcher._running["inputs/a.mp4"]
        store.before_list = [release.set, lambda: future.result(5)]
        assert watcher.poll_once() == []  # the job ends while this poll lists inputs/
        store.before_list = []
        assert watcher.poll_once() == [] and watcher.poll_once() == []
        assert calls == ["inputs/a.mp4"]
    finally:
        release.set()
        watcher.pool.shutdown(wait=True)
