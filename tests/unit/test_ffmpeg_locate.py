"""Which ffmpeg avpipe picks: a capable one on PATH, else the wheel's, never a too-old or incomplete one."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from avpipe.errors import ConfigurationError
from avpipe.ffmpeg.capabilities import FILTERS, MUXERS, inspect, parse_version
from avpipe.ffmpeg.locate import find_ffmpeg, wheel_ffmpeg

FAKE = """#!/bin/sh
case "$2" in
  -version) echo "ffmpeg version {version} Copyright (c) 2000-2022 the FFmpeg developers" ;;
  -encoders) printf ' V....D {h264} H.264\\n A....D aac AAC\\n A....D libmp3lame MP3\\n V....D mjpeg MJPEG\\n' ;;
  -filters) printf '{filters}' ;;
  -muxers) printf '{muxers}' ;;
esac
"""


def fake_ffmpeg(folder: Path, version: str, *, h264: str = "libx264") -> Path:
    """An executable that answers ``-version``/``-encoders``/... like an ffmpeg build would."""
    folder.mkdir(parents=True, exist_ok=True)
    filters = "".join(f" ... {name} V->V x\\n" for name in FILTERS)
    muxers = "".join(f"  E {name} x\\n" for name in MUXERS)
    path = folder / "ffmpeg"
    path.write_text(FAKE.format(version=version, h264=h264, filters=filters, muxers=muxers))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize(("banner", "expected"), [
    ("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026", ((5, 1), "5.1.9-0+deb12u1")),
    ("ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright", ((4, 4), "4.4.2-0ubuntu0.22.04.1")),
    ("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright", ((9, 0), "n9.0.2-17-g2a571b6068-20260930")),
    ("ffmpeg version 7.1 Copyright", ((7, 1), "7.1")),
    ("ffmpeg version N-117000-gabcdef0 Copyright", (None, "N-117000-gabcdef0")),
    ("", (None, "unknown")),
])
def test_version_banners(banner: str, expected: tuple[tuple[int, int] | None, str]) -> None:
    assert parse_version(banner) == expected


def test_an_old_ffmpeg_on_path_is_skipped_with_a_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = fake_ffmpeg(tmp_path / "bin", "4.4.2-0ubuntu0.22.04.1")
    with caplog.at_level(logging.WARNING, logger="avpipe.ffmpeg.locate"):
        chosen = find_ffmpeg({"PATH": str(old.parent)})
    assert chosen == wheel_ffmpeg()
    assert "4.4.2-0ubuntu0.22.04.1 is older than 5.1" in caplog.text
    assert str(old) in caplog.text


def test_an_ffmpeg_without_libx264_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lgpl = fake_ffmpeg(tmp_path / "bin", "6.1.1", h264="libopenh264")
    with caplog.at_level(logging.WARNING, logger="avpipe.ffmpeg.locate"):
        assert find_ffmpeg({"PATH": str(lgpl.parent)}) == wheel_ffmpeg()
    assert "lacks the encoder libx264" in caplog.text


def test_a_capable_ffmpeg_on_path_is_used(tmp_path: Path) -> None:
    good = fake_ffmpeg(tmp_path / "bin", "6.1.1-3ubuntu5")
    assert find_ffmpeg({"PATH": str(good.parent)}) == str(good)


def test_an_explicit_ffmpeg_that_is_too_old_is_a_configuration_error(tmp_path: Path) -> None:
    old = fake_ffmpeg(tmp_path / "bin", "4.2.7")
    with pytest.raises(ConfigurationError, match=r"AVPIPE_FFMPEG=.* cannot be used: version 4.2.7 is older than 5.1"):
        find_ffmpeg({"AVPIPE_FFMPEG": str(old), "PATH": ""})


def test_the_wheel_build_has_everything() -> None:
    build = inspect(wheel_ffmpeg())
    assert build.version is not None and build.version >= (5, 1)
    assert build.shortcomings() == []


def test_the_cli_says_why_it_skips_an_old_ffmpeg(tmp_path: Path) -> None:
    """What a Ubuntu 22.04 user sees: one warning naming the version, then the job runs."""
    import os
    import subprocess
    import sys

    old = fake_ffmpeg(tmp_path / "bin", "4.4.2-0ubuntu0.22.04.1")
    captions = tmp_path / "talk.srt"
    captions.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{old.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "AVPIPE_DATA": str(tmp_path / "data")}
    env.pop("AVPIPE_FFMPEG", None)
    avpipe = Path(sys.executable).with_name("avpipe")
    proc = subprocess.run([str(avpipe), "process", str(captions)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "version 4.4.2-0ubuntu0.22.04.1 is older than 5.1" in proc.stderr
    assert proc.stderr.count("skipping the ffmpeg on PATH") == 1
