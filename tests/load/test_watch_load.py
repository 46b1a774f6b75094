"""Load: 200 small files dropped into inputs/ at once, processed by the watch loop.

All are processed exactly once, none is lost, and the number of ffmpeg processes running
at any moment never exceeds the number of workers (memory bounded by the worker count)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from avpipe.config import Settings
from avpipe.manifest import Status, list_manifests
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.watch import Watcher

from media import MediaLibrary

WORKERS = 2


def ffmpeg_children() -> int:
    """ffmpeg processes whose parent is this test process."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            name = Path(entry.path, "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and name.startswith("ffmpeg"):
            count += 1
    return count


def drop_files(inputs: Path, media: MediaLibrary) -> list[str]:
    plan = [("mp3", media.mp3, 150), ("wav", media.wav, 35), ("mp4", media.tiny, 15)]
    names = []
    for extension, source, count in plan:
        for index in range(count):
            name = f"batch/{extension}-{index:03d}.{extension}"
            shutil.copy(source, inputs / name)
            names.append(name)
    return names


def test_two_hundred_files_through_watch(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, workers=WORKERS, rungs=(360,)))
    inputs = tmp_path / "watch/inputs"
    (inputs / "batch").mkdir(parents=True)
    names = drop_files(inputs, media)
    handled: Counter[str] = Counter()
    lock = threading.Lock()

    def handle(key: str) -> object:
        with lock:
            handled[key] += 1
        return runtime.process_key(key)

    watcher = Watcher(runtime.watch, handle, workers=WORKERS, poll_s=0.05, quiet_s=0.1)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    peak, deadline = 0, time.monotonic() + 240
    try:
        while time.monotonic() < deadline and len(list(runtime.public.list("json/"))) < len(names):
            peak = max(peak, ffmpeg_children())
            time.sleep(0.01)
        while not watcher.idle() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
        thread.join(timeout=60)
    manifests = list_manifests(runtime.public)
    assert len(manifests) == len(names), "none lost"
    assert all(m.status is Status.COMPLETE for m in manifests), [m.error for m in manifests if m.error][:3]
    assert sorted(handled) == sorted(f"inputs/{n}" for n in names) and set(handled.values()) == {1}, "none twice"
    assert [info.key for info in runtime.watch.list("inputs/")] == [], "every upload consumed"
    assert 1 <= peak <= WORKERS, f"{peak} ffmpeg processes at once with {WORKERS} workers"
