"""The watch loop picks up complete files (also copied in by other programs), skips chunks."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from avpipe.config import Settings
from avpipe.manifest import Status, load_manifest
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.watch import Watcher

from media import MediaLibrary


def wait_for(condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_watch_processes_dropped_files_and_ignores_chunks(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, workers=2))
    inputs = tmp_path / "watch/inputs"
    (inputs / "sub").mkdir(parents=True)
    shutil.copy(media.tiny, inputs / "sub/clip.mp4")  # copied in by another program
    shutil.copy(media.mp3, inputs / "song.mp3.CHUNK0")
    shutil.copy(media.corrupt_mp4, inputs / "bad.mp4")
    handled: list[str] = []

    def handle(key: str) -> object:
        handled.append(key)
        return runtime.process_key(key)

    watcher = Watcher(runtime.watch, handle, workers=2, poll_s=0.05, quiet_s=0.2)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: status_of(runtime, "sub/clip") is Status.COMPLETE)
        assert wait_for(lambda: load_manifest(runtime.public, "bad") is not None)
        time.sleep(0.3)  # several more polls: the failed upload is not retried while unchanged
    finally:
        watcher.stop()
        thread.join(timeout=30)
    assert sorted(handled) == ["inputs/bad.mp4", "inputs/sub/clip.mp4"]
    assert (inputs / "song.mp3.CHUNK0").exists() and (inputs / "bad.mp4").exists()
    assert not (inputs / "sub/clip.mp4").exists()


def test_files_still_growing_wait_for_a_stable_poll(tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    seen: list[str] = []
    watcher = Watcher(runtime.watch, seen.append, workers=1, poll_s=0.01, quiet_s=0, stable_polls=2)
    runtime.watch.put("inputs/a.mp4", b"part")
    assert watcher.poll_once() == []  # first sighting
    runtime.watch.put("inputs/a.mp4", b"part and more")
    assert watcher.poll_once() == []  # changed since
    assert watcher.poll_once() == ["inputs/a.mp4"]
    assert wait_for(watcher.idle)
    assert watcher.poll_once() == []  # handled once, not again
    watcher.pool.shutdown()


def status_of(runtime: LocalRuntime, name: str) -> Status | None:
    manifest = load_manifest(runtime.public, name)
    return manifest.status if manifest else None


def test_captions_dropped_with_their_video_are_in_its_stream(tmp_path: Path, media: MediaLibrary) -> None:
    """talk.srt sorts after talk.mp4, yet it is taken first: the video's stream then carries it."""
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, rungs=(360,)))
    runtime.watch.put("inputs/talk.mp4", media.landscape_720p)
    runtime.watch.put("inputs/talk.srt", media.srt)
    watcher = Watcher(runtime.watch, runtime.process_key, workers=2, poll_s=0.05, quiet_s=0, stable_polls=1)
    assert watcher.poll_once() == ["inputs/talk.srt"]  # the video waits: one upload of an asset at a time
    assert wait_for(lambda: watcher.poll_once() == [] and watcher.idle() and status_of(runtime, "talk")
                    is Status.COMPLETE and not runtime.watch.exists("inputs/talk.mp4"), timeout=120)
    watcher.pool.shutdown()
    master = (Path(runtime.public.url) / "audiovideo/talk.m3u8").read_text()
    assert "TYPE=SUBTITLES" in master and 'SUBTITLES="' in master
