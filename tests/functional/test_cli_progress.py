"""What ``avpipe process`` shows while it works, and what Ctrl-C leaves behind: the console
script in a subprocess (on a pseudo-terminal for the live bars), real ffmpeg."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from media import MediaLibrary, make_av

AVPIPE = str(Path(sys.executable).with_name("avpipe"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> Path:
    """A 720p clip whose ladder (three rungs) takes a few seconds: long enough to watch and to interrupt."""
    return make_av(media_ffmpeg, tmp_path_factory.mktemp("clip") / "clip.mp4", size="1280x720", duration=4.0)


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("AVPIPE_DATA", "AVPIPE_LOG_FORMAT")}


def _read_until(fd: int, done: re.Pattern[str], timeout_s: float) -> str:
    """Read ``fd`` until ``done`` matches what was read (or the time runs out, or it closes)."""
    seen = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not done.search(seen.decode(errors="replace")):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the pty closed
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode(errors="replace")


def test_a_live_bar_on_a_terminal(tmp_path: Path, clip: Path) -> None:
    main, child = pty.openpty()
    env = {**_environ(), "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen([AVPIPE, "--data", str(tmp_path), "process", str(clip)], stdin=child, stdout=child,
                            stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        shown = _read_until(main, re.compile(r"outputs in "), 120)
    finally:
        proc.wait(timeout=60)
        os.close(main)
    assert proc.returncode == 0, shown
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # without the terminal's cursor codes
    assert "\x1b[" in shown, "a live display on a terminal"
    bars = [line for line in re.split(r"[\r\n]", text) if line.startswith("clip.mp4") and "━" in line]
    assert bars, text
    percents = {int(m) for line in bars for m in re.findall(r"(\d+)%", line)}
    assert percents and min(percents) < 100, bars  # it moved while the file was being made
    assert any(re.search(r"\d:\d\d:\d\d", line) for line in bars), "elapsed and estimated time"
    assert "clip.mp4: video -> clip_360p.mp4, clip_480p.mp4, clip_720p.mp4, clip.m3u8, clip.mpd (complete in " in text
    after = shown[shown.index("clip.mp4: video -> "):]
    assert "━" not in after, "the finished file's bar is gone, its line stays"


def test_ctrl_c_records_the_file_as_interrupted_and_retry_runs_it_again(tmp_path: Path, clip: Path) -> None:
    proc = subprocess.Popen([AVPIPE, "--data", str(tmp_path), "process", str(clip)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_environ(), start_new_session=True)
    assert proc.stderr is not None
    started = _read_until(proc.stderr.fileno(), re.compile(r"clip\.mp4: 0% of the ladder"), 60)
    assert "0% of the ladder" in started
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group, ffmpeg included
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    message = err.decode()
    assert "Traceback" not in message
    assert "avpipe: interrupted while processing clip.mp4; it is recorded as failed" in message

    manifest = json.loads((tmp_path / "public/json/clip.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]["category"] == "transient"
    assert "interrupted" in manifest["error"]["reason"]
    claims = [json.loads(p.read_text()) for p in (tmp_path / "watch/claims").glob("[!.]*.json")]
    assert [c["state"] for c in claims] == ["failed"], "no claim is left running under a gone process"
    assert not list((tmp_path / "public").rglob("avpipe-job-*")), "no scratch folder left"

    env = _environ()
    for status in ("processing", "complete", "failed"):
        listed = subprocess.run([AVPIPE, "--data", str(tmp_path), "jobs", "--status", status], capture_output=True,
                                text=True, env=env, timeout=60, check=True)
        assert ("clip" in listed.stdout) is (status == "failed"), listed.stdout
    retried = subprocess.run([AVPIPE, "--data", str(tmp_path), "--rungs", "360", "retry", "clip"],
                             capture_output=True, text=True, env=env, timeout=120, check=False)
    assert retried.returncode == 0, retried.stderr
    assert "claim" not in retried.stderr and str(proc.pid) not in retried.stderr, retried.stderr
    assert "clip.mp4: video -> clip_360p.mp4, clip.m3u8, clip.mpd (complete in " in retried.stderr
    after = json.loads((tmp_path / "public/json/clip.json").read_text())
    assert after["status"] == "complete" and after["created_at"] == manifest["created_at"]
    assert [h["status"] for h in after["history"]] == ["processing", "processing", "failed",  # 2nd: the preview
                                                       "processing", "processing", "complete"]
    assert manifest["preview"] is None and not (tmp_path / "public/audiovideo/clip_preview.mp4").exists()


def test_serve_logs_one_line_per_finished_upload(tmp_path: Path, media: MediaLibrary) -> None:
    proc = subprocess.Popen([AVPIPE, "serve", "--data", str(tmp_path), "--port", "0", "--poll", "0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_environ())
    assert proc.stderr is not None
    try:
        inputs = tmp_path / "watch/inputs"
        deadline = time.monotonic() + 30
        while not inputs.is_dir() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.copy(media.wav, inputs / "served.wav")
        (inputs / "broken.mp4").write_bytes(b"<html>not a video</html>" * 40)
        both = re.compile(r"(?s)(?=.*served\.wav: audio .*complete in [\d.]+ s\))(?=.*broken\.mp4: failed)")
        err = _read_until(proc.stderr.fileno(), both, 120)  # in whichever order the two finish
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        proc.stderr.close()
    expected = "served.wav: audio -> served.mp3, served.m3u8, served.mpd (complete in "
    finished = [line for line in err.splitlines() if expected in line]
    assert len(finished) == 1, err
    failed = [line for line in err.splitlines() if "broken.mp4" in line]
    assert len(failed) == 1 and "broken.mp4: failed in " in failed[0], err  # once, with the reason
