"""Attacks on the watch folder with real files: names that broke the listing, links out of the
data folder, files still being written, look-alike names. Each fails on the code before the fix."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from avpipe.config import Settings
from avpipe.manifest import Status, load_manifest
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.storage.local import LINK_REFUSED
from avpipe.watch import Watcher
from avpipe.web.library import Library, ProgressBoard

from media import MediaLibrary

SRT = "1\n00:00:00,000 --> 00:00:01,000\nhello\n"
SECRET = "1\n00:00:00,000 --> 00:00:01,000\nTOP SECRET outside the data folder\n"


def wait_for(condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def run_watcher(runtime: LocalRuntime, **options: float) -> tuple[Watcher, threading.Thread]:
    watcher = Watcher(runtime.watch, runtime.process_key, workers=1, poll_s=0.02,
                      **{"quiet_s": 0.05, **options})  # type: ignore[arg-type]
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    return watcher, thread


def stop(watcher: Watcher, thread: threading.Thread) -> None:
    watcher.stop()
    thread.join(timeout=30)


def public_texts(runtime: LocalRuntime) -> str:
    root = Path(runtime.public.url)
    return "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_hostile_names_are_refused_once_and_the_loop_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    (inputs / "bell\x07name.srt").write_text(SRT)
    (inputs / "back\\slash.srt").write_text(SRT)
    with open(os.fsencode(inputs) + b"/not-utf8-\xff\xfe.srt", "w") as handle:  # bytes no decoder accepts
        handle.write(SRT)
    (inputs / "fine.srt").write_text(SRT)
    assert len(list(runtime.watch.list("inputs/"))) == 4, "the listing itself survives every name"
    library = Library(runtime.watch, runtime.public, ProgressBoard(runtime.public))
    assert [a["name"] for a in library.assets()] == ["fine"], "the library (/api/assets) lists the good one"
    caplog.set_level(logging.ERROR, logger="avpipe.watch")
    watcher, thread = run_watcher(runtime)
    try:
        assert wait_for(lambda: load_manifest(runtime.public, "fine") is not None)
        time.sleep(0.3)  # more polls: the refused names are not logged again
        assert thread.is_alive(), "the watch loop is still running"
        (inputs / "later.srt").write_text(SRT)
        assert wait_for(lambda: load_manifest(runtime.public, "later") is not None), "later uploads still go"
    finally:
        stop(watcher, thread)
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 3, refusals
    assert all("\x07" not in line for line in refusals), "a control character is never logged raw"
    assert (inputs / "bell\x07name.srt").exists(), "a refused upload stays where it is"


def test_a_listing_that_fails_does_not_end_the_loop(tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    failures = [OSError("stale file handle")]
    real_list = runtime.watch.list

    def flaky(prefix: str = ""):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return real_list(prefix)

    runtime.watch.list = flaky  # type: ignore[method-assign]
    runtime.watch.put("inputs/a.srt", SRT.encode())
    watcher, thread = run_watcher(runtime)
    try:
        assert wait_for(lambda: load_manifest(runtime.public, "a") is not None)
    finally:
        stop(watcher, thread)


def test_links_out_of_the_data_folder_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.srt").write_text(SECRET)
    (outside / "folder").mkdir()
    (outside / "folder/secret.srt").write_text(SECRET)
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    inputs = tmp_path / "data/watch/inputs"
    inputs.mkdir(parents=True)
    (inputs / "soft.srt").symlink_to(outside / "secret.srt")
    os.link(outside / "secret.srt", inputs / "hard.srt")
    (inputs / "linked").symlink_to(outside / "folder", target_is_directory=True)
    (inputs / "plain.srt").write_text(SRT)
    watcher, thread = run_watcher(runtime)
    try:
        assert wait_for(lambda: all(load_manifest(runtime.public, n) for n in ("soft", "hard", "plain")))
    finally:
        stop(watcher, thread)
    for name in ("soft", "hard"):
        manifest = load_manifest(runtime.public, name)
        assert manifest is not None and manifest.status is Status.FAILED
        assert manifest.error is not None and manifest.error.reason == LINK_REFUSED
    assert load_manifest(runtime.public, "linked/secret") is None, "a linked folder is not followed"
    direct = runtime.process_key("inputs/linked/secret.srt")  # as an event naming the key would
    assert direct is not None and direct.status is Status.FAILED
    assert "TOP SECRET" not in public_texts(runtime), "nothing from outside is published"
    assert load_manifest(runtime.public, "plain").status is Status.COMPLETE  # type: ignore[union-attr]
    assert (outside / "secret.srt").read_text() == SECRET


def test_a_file_open_for_writing_is_not_taken(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    data = media.tiny.read_bytes()
    taken: list[str] = []
    watcher = Watcher(runtime.watch, taken.append, workers=1, poll_s=0, quiet_s=0.05, stable_polls=2)
    try:
        with open(inputs / "lecture.mp4", "wb") as copy:  # a copy that pauses longer than the quiet period
            copy.write(data[: len(data) // 4])
            copy.flush()
            for _ in range(5):
                time.sleep(0.03)
                assert watcher.poll_once() == [], "taken while another program was still writing it"
            copy.write(data[len(data) // 4 :])
        assert wait_for(lambda: watcher.poll_once() == ["inputs/lecture.mp4"], 5)
    finally:
        watcher.pool.shutdown(wait=True)
    assert taken == ["inputs/lecture.mp4"]


def test_a_file_is_taken_only_after_the_quiet_period(tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    now = [0.0]
    taken: list[str] = []
    watcher = Watcher(runtime.watch, taken.append, workers=1, quiet_s=2.0, stable_polls=3, clock=lambda: now[0])
    try:
        runtime.watch.put("inputs/a.mp4", b"first part")
        for _ in range(4):  # a copy that pauses (closed in between: only time can tell)
            assert watcher.poll_once() == []
            now[0] += 0.5
        runtime.watch.put("inputs/a.mp4", b"first part and the rest")
        assert watcher.poll_once() == []  # changed: the quiet period starts again
        now[0] += 1.9
        assert watcher.poll_once() == [] and watcher.poll_once() == []  # polls enough, not time enough
        now[0] += 0.1
        assert watcher.poll_once() == ["inputs/a.mp4"]
    finally:
        watcher.pool.shutdown(wait=True)


def test_look_alike_names_and_long_names(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    (inputs / "invoice\u202eexe.srt").write_text(SRT)  # shows as "invoicetrs.exe"
    (inputs / ("x" * 244 + ".srt")).write_text(SRT)  # 248 bytes: too long for the names made from it
    long_ok = "y" * 196
    (inputs / f"{long_ok}.srt").write_text(SRT)
    (inputs / unicodedata.normalize("NFD", "café.srt")).write_text(SRT)
    caplog.set_level(logging.ERROR)
    watcher, thread = run_watcher(runtime)
    try:
        assert wait_for(lambda: load_manifest(runtime.public, "café") is not None)
        assert wait_for(lambda: load_manifest(runtime.public, long_ok) is not None)
        time.sleep(0.2)
        assert thread.is_alive()
    finally:
        stop(watcher, thread)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2 and any("right-to-left" in m for m in refused) and any("200 bytes" in m for m in refused)
    assert runtime.public.exists("closed-caption/café.vtt"), "the asset has the NFC name"
    assert load_manifest(runtime.public, long_ok).status is Status.COMPLETE  # type: ignore[union-attr]
    names = [p.name for p in (tmp_path / "public").rglob("*")]
    assert not any("\u202e" in n for n in names) and all(unicodedata.is_normalized("NFC", n) for n in names)


def test_temporary_files_of_killed_runs_are_removed_at_start_up(tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    runtime.watch.put_if("claims/c.json", b"{}", version=None)  # leaves the folder's lock file
    child = os.fork() if hasattr(os, "fork") else 0
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)  # a process that has ended: its pid names the leftover below
    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    killed = inputs / f".avpipe-tmp-{child}-k1ll3d"
    killed.write_bytes(b"x" * 1000)
    stale = tmp_path / "public/.avpipe-tmp-scratch/old-output.mp4"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"y")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    live = inputs / f".avpipe-tmp-{os.getpid()}-writing"
    live.write_bytes(b"z")
    LocalRuntime.from_settings(Settings(data_dir=tmp_path))  # the next start
    assert not killed.exists() and not stale.exists()
    assert live.exists(), "a live process's temporary file stays"
    assert (tmp_path / "watch/claims/.avpipe-tmp-lock").exists(), "a lock file is never removed (it may be held)"
    shutil.rmtree(inputs)


def test_lock_and_scratch_files_are_never_served(tmp_path: Path) -> None:
    import http.client
    from urllib.parse import urlsplit

    from avpipe.web.server import start
    from avpipe.web.settings import WebSettings

    settings = Settings(data_dir=tmp_path)
    runtime = LocalRuntime.from_settings(settings)
    runtime.public.put_if("json/a.json", b"{}", version=None)  # a conditional write: the folder's lock file
    scratch = Path(runtime.public.scratch_dir(), "half-made_720p.mp4")
    scratch.write_bytes(b"partial rendition")
    running = start(settings, WebSettings(), port=0)
    address = urlsplit(running.url)
    try:
        statuses = {}
        paths = ("/files/json/.avpipe-tmp-lock", "/files/.avpipe-tmp-scratch/half-made_720p.mp4", "/files/json/a.json")
        for path in paths:
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            connection.request("GET", path)
            statuses[path] = connection.getresponse().status
            connection.close()
    finally:
        running.stop()
    assert statuses == {"/files/json/.avpipe-tmp-lock": 404, "/files/.avpipe-tmp-scratch/half-made_720p.mp4": 404,
                        "/files/json/a.json": 200}


def test_avpipe_watch_keeps_running_next_to_a_hostile_name(tmp_path: Path) -> None:
    import subprocess
    import sys

    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    (inputs / "bad\\name\x1b[31m.srt").write_text(SRT)
    (inputs / "good.srt").write_text(SRT)
    env = {**os.environ, "AVPIPE_WATCH_QUIET_S": "0.1"}
    watch = subprocess.Popen([sys.executable, "-m", "avpipe", "watch", "--data", str(tmp_path), "--poll", "0.05"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: (tmp_path / "public/json/good.json").exists() or watch.poll() is not None, 60)
        time.sleep(0.3)
        assert watch.poll() is None, "avpipe watch is still running"
    finally:
        watch.terminate()
        _, errors = watch.communicate(timeout=30)
    assert (tmp_path / "public/json/good.json").exists()
    assert errors.count("refused") == 1 and "\x1b" not in errors, errors


LEASE_HOLDER = """
import os, subprocess, sys, time
from avpipe.storage.leases import read_lease
fd = os.open({path!r}, os.O_RDONLY)
with read_lease(fd):  # as the watcher holds it for an instant; here a writer opens the file meanwhile
    writer = subprocess.Popen([sys.executable, "-c", "open({path!r}, 'ab').write(b'more')"])
    time.sleep(0.3)
writer.wait(timeout=30)
print("still alive")
"""


def test_a_writer_opening_the_file_during_the_lease_check_does_not_end_the_watcher(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "upload.mp4"
    path.write_bytes(b"data")
    result = subprocess.run([sys.executable, "-c", LEASE_HOLDER.format(path=str(path))], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "still alive", result  # SIGIO would have killed it
    assert path.read_bytes() == b"datamore"


def test_uploads_of_one_asset_run_one_at_a_time(tmp_path: Path) -> None:
    """NFC/NFD twins (and talk.mp4 + talk.srt) share one asset and its manifest: never at once."""
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    release = threading.Event()
    running: list[str] = []

    def handle(key: str) -> None:
        running.append(key)
        release.wait(10)

    runtime.watch.put("inputs/" + unicodedata.normalize("NFC", "café.mp4"), b"one")
    runtime.watch.put("inputs/" + unicodedata.normalize("NFD", "café.mp4"), b"two")
    runtime.watch.put("inputs/other.mp4", b"three")
    watcher = Watcher(runtime.watch, handle, workers=3, poll_s=0, quiet_s=0, stable_polls=1)
    try:
        first = watcher.poll_once()
        assert len(first) == 2 and "inputs/other.mp4" in first, first
        assert watcher.poll_once() == [], "the twin waits while the first runs"
        release.set()
        assert wait_for(lambda: len(watcher.poll_once()) == 1, 10)
    finally:
        release.set()
        watcher.pool.shutdown(wait=True)
    assert len(running) == 3
