"""Fault injection on real parts: ffmpeg killed mid-run, a full disk, a crash between steps."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.config import Settings
from avpipe.ffmpeg import FfmpegRunner
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.storage import LocalStore

from media import MediaLibrary

KILL_ONCE = """#!{python}
import os, signal, sys
marker = {marker!r}
transcode = "-filter_complex" in sys.argv and "-skip_frame" not in sys.argv  # not the upscale check
if not os.path.exists(marker) and transcode:
    open(marker, "w").close()
    os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer or an operator would
os.execv({ffmpeg!r}, [{ffmpeg!r}, *sys.argv[1:]])
"""


def progressive(manifest: Any) -> list[Any]:
    """The manifest's MP4/MP3 files (a video's HLS/DASH stream files are listed beside them)."""
    return [o for o in manifest.outputs if o.key.endswith((".mp4", ".mp3"))]


def killing_ffmpeg(tmp_path: Path, ffmpeg_exe: str) -> Path:
    """An ffmpeg whose first transcode is killed by SIGKILL; later runs are the real ffmpeg."""
    script = tmp_path / "ffmpeg-killed-once"
    script.write_text(KILL_ONCE.format(python=sys.executable, marker=str(tmp_path / "killed"), ffmpeg=ffmpeg_exe))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def runtime_with(tmp_path: Path, ffmpeg: str, **settings: object) -> tuple[LocalRuntime, list[float]]:
    base = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", rungs=(360,), **settings))  # type: ignore[arg-type]
    slept: list[float] = []
    runtime = LocalRuntime(base.settings, base.watch, base.public, FfmpegRunner(ffmpeg))
    original_context = runtime.context

    def context(emit):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        return replace(original_context(emit), sleep=slept.append)

    runtime.context = context  # type: ignore[method-assign]
    return runtime, slept


def test_ffmpeg_killed_mid_run_is_retried_and_completes(tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str) -> None:
    runtime, slept = runtime_with(tmp_path, str(killing_ffmpeg(tmp_path, ffmpeg_exe)))
    manifest = runtime.process_key(runtime.submit_file(str(media.landscape_720p)))
    assert (tmp_path / "killed").exists(), "the first ffmpeg run really was killed"
    assert manifest is not None and manifest.status is Status.COMPLETE, manifest
    assert manifest.attempts == 2 and slept == [1.0]
    assert [o.key for o in progressive(manifest)] == ["audiovideo/landscape_720p_360p.mp4"]


def test_ffmpeg_killed_without_retries_fails_as_transient_with_nothing_public(
    tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str
) -> None:
    runtime, _ = runtime_with(tmp_path, str(killing_ffmpeg(tmp_path, ffmpeg_exe)), transient_retries=0)
    key = runtime.submit_file(str(media.landscape_720p))
    manifest = runtime.process_key(key)
    assert manifest is not None and manifest.status is Status.FAILED
    assert manifest.error and manifest.error.category == "transient" and "SIGKILL" in manifest.error.reason
    assert list(runtime.public.list("audiovideo/")) == [], "no partial rendition under a public name"
    assert runtime.watch.exists(key), "the upload is kept"
    retried = runtime.retry("landscape_720p")
    assert retried is not None and retried.status is Status.COMPLETE


class FullDiskStore(LocalStore):
    """A real local store whose device is full for renditions: taking them in ends in ENOSPC."""

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        if key.startswith("staging/"):
            with open("/dev/full", "wb") as device:  # Linux's always-full device: a real ENOSPC
                device.write(b"x" * 65536)
        super().adopt(key, path, content_type)


def test_a_full_disk_fails_visibly_and_keeps_the_upload(tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str) -> None:
    assert Path("/dev/full").exists(), "this test needs Linux's /dev/full"
    base, slept = runtime_with(tmp_path, ffmpeg_exe, transient_retries=1)
    runtime = LocalRuntime(base.settings, base.watch, FullDiskStore(tmp_path / "data/public"), base.runner)
    key = runtime.submit_file(str(media.tiny))
    manifest = runtime.process_key(key)
    assert manifest is not None and manifest.status is Status.FAILED and manifest.attempts == 2
    assert manifest.error and manifest.error.reason == "A storage operation failed: No space left on device."
    assert runtime.watch.exists(key) and list(runtime.public.list("audiovideo/")) == []


SLOW_FFMPEG = """#!{python}
import os, sys, time
if "-filter_complex" in sys.argv:
    time.sleep(60)  # the transcode hangs long enough for the worker to be killed
os.execv({ffmpeg!r}, [{ffmpeg!r}, *sys.argv[1:]])
"""


def test_a_worker_killed_mid_job_is_taken_over_by_the_next_delivery(
    tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str
) -> None:
    slow = tmp_path / "ffmpeg-slow"
    slow.write_text(SLOW_FFMPEG.format(python=sys.executable, ffmpeg=ffmpeg_exe))
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    data = tmp_path / "data"
    env = {**os.environ, "AVPIPE_FFMPEG": str(slow), "AVPIPE_RUNGS": "360"}
    worker = subprocess.Popen([sys.executable, "-m", "avpipe", "process", str(media.tiny), "--data", str(data)],
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest_path = data / "public/json/tiny.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not manifest_path.exists():
        time.sleep(0.05)
    time.sleep(0.3)  # the job has been submitted: ffmpeg is running (sleeping)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its ffmpeg die mid-job
    worker.wait(timeout=30)
    assert json.loads(manifest_path.read_text())["status"] == "processing"
    public = sorted(p.name for p in (data / "public").glob("audiovideo/*"))
    assert public == ["tiny_preview.mp4"], "nothing half-made is public: only the preview, published whole"
    assert probe(str(data / "public/audiovideo/tiny_preview.mp4")).video is not None

    runtime = LocalRuntime.from_settings(Settings(data_dir=data, rungs=(360,)))
    manifest = runtime.process_key("inputs/tiny.mp4")  # the next delivery of the same upload version
    assert manifest is not None and manifest.status is Status.COMPLETE and manifest.attempts == 2
    assert [o.key for o in progressive(manifest)] == ["audiovideo/tiny_90p.mp4"]
    assert list(runtime.public.list("staging/")) == []
    assert not (data / "public/audiovideo/tiny_preview.mp4").exists() and manifest.preview is None


class FillableStore(LocalStore):
    """A real local store whose device can fill up and free again: writes under ``full`` end in ENOSPC."""

    full: tuple[str, ...] = ()

    def _fill(self, key: str) -> None:
        if key.startswith(self.full):
            with open("/dev/full", "wb") as device:  # Linux's always-full device: a real ENOSPC
                device.write(b"x" * 65536)

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        self._fill(key)
        super().put(key, source, content_type)

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        self._fill(key)
        super().adopt(key, path, content_type)


@pytest.mark.parametrize("full", [("staging/",), ("staging/", "json/", "original/")],
                         ids=["failure-recorded", "failure-unrecordable"])
def test_after_a_full_disk_the_watcher_tries_again_once_space_is_back(
    tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str, full: tuple[str, ...]
) -> None:
    import threading

    from avpipe.manifest import load_manifest
    from avpipe.retrying import RetryPolicy
    from avpipe.watch import Watcher

    assert Path("/dev/full").exists(), "this test needs Linux's /dev/full"
    base, _ = runtime_with(tmp_path, ffmpeg_exe, transient_retries=0)
    public = FillableStore(tmp_path / "data/public")
    public.full = full
    runtime = LocalRuntime(base.settings, base.watch, public, base.runner)
    key = runtime.submit_file(str(media.tiny))
    watcher = Watcher(runtime.watch, runtime.process_key, workers=1, poll_s=0.02, quiet_s=0,
                      later=RetryPolicy(base_s=0.5, cap_s=0.5))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (watcher._later and watcher.idle()):
            time.sleep(0.02)
        assert watcher._later, "the failure is to be tried again"
        failed = load_manifest(runtime.public, "tiny")
        if "json/" not in full:
            assert failed is not None and failed.status is Status.FAILED and failed.error is not None
            assert failed.error.category == "transient"
        public.full = ()  # space is back
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _complete(runtime):
            time.sleep(0.05)
        assert _complete(runtime), load_manifest(runtime.public, "tiny")
        assert thread.is_alive(), "the worker never died"
    finally:
        watcher.stop()
        thread.join(timeout=30)
    assert not runtime.watch.exists(key)


def _complete(runtime: LocalRuntime) -> bool:
    from avpipe.manifest import load_manifest

    manifest = load_manifest(runtime.public, "tiny")
    return manifest is not None and manifest.status is Status.COMPLETE
