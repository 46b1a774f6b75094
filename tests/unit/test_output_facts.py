"""Codecs strings and measured bitrates read from the moov box, checked against MediaInfo."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.manifest.output_facts import _esds_codec, describe_output, mp4_tracks, read_moov
from avpipe.storage import LocalStore

from media import MediaLibrary, make_av


def test_codecs_and_bitrates_agree_with_mediainfo(tmp_path: Path, media: MediaLibrary) -> None:
    clip = make_av(media.ffmpeg, tmp_path / "clip.mp4", size="320x180", duration=1.0)
    store = LocalStore(tmp_path)
    facts = describe_output(store, "clip.mp4", clip.stat().st_size, None)
    seen = probe(clip)
    assert seen.video is not None and seen.audio
    # x264 ultrafast writes Constrained Baseline: profile 66 (0x42), constraint set 1 (0xC0)
    assert facts.codecs is not None and facts.codecs.startswith("avc1.42c0") and facts.codecs.endswith(",mp4a.40.2")
    level = int(facts.codecs.split(",")[0][-2:], 16)
    assert f"@L{level // 10}" in str(seen_profile(clip))
    assert facts.video_bitrate == pytest.approx(seen.video.bit_rate, rel=0.01)
    assert facts.audio_bitrate == pytest.approx(seen.audio[0].bit_rate, rel=0.01)
    assert facts.bitrate == pytest.approx(clip.stat().st_size * 8 / 1.0, rel=0.05)
    assert seen.audio[0].codec_profile == "LC"  # what `avpipe probe` reports for AAC


def seen_profile(path: Path) -> str | None:
    from pymediainfo import MediaInfo

    info = MediaInfo.parse(str(path))
    return next(t.format_profile for t in info.tracks if t.track_type == "Video")


def test_mp3_and_files_without_moov(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    (tmp_path / "a.mp3").write_bytes(b"\xff\xfb" + b"\0" * 998)
    assert describe_output(store, "a.mp3", 1000, 2.0).codecs == "mp3"
    (tmp_path / "x.mp4").write_bytes(struct.pack(">I4s", 16, b"ftyp") + b"isom\0\0\0\0")
    assert read_moov(store, "x.mp4", 16) is None
    assert describe_output(store, "x.mp4", 16, None).codecs is None


def test_a_box_running_past_its_parent_is_refused_not_followed() -> None:
    with pytest.raises(ValueError):
        mp4_tracks(struct.pack(">I4s", 4096, b"trak") + b"\0" * 8)


def test_esds_object_types() -> None:
    def esds(specific: bytes, object_type: int = 0x40) -> bytes:
        config = bytes([object_type, 0x15]) + b"\0" * 11 + bytes([0x05, len(specific)]) + specific
        es = b"\0\x01\0" + bytes([0x04, len(config)]) + config
        return bytes([0x03, len(es)]) + es

    assert _esds_codec(esds(bytes([0x11, 0x90]))) == "mp4a.40.2"  # AAC LC
    assert _esds_codec(esds(bytes([0x2B, 0x92]))) == "mp4a.40.5"  # HE-AAC (SBR)
    assert _esds_codec(esds(b"", object_type=0x6B)) == "mp4a.6B"  # MP3 in MP4


def test_the_probe_command_reports_the_aac_profile(media: MediaLibrary) -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "avpipe", "probe", str(media.m4a)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert [a["codec_profile"] for a in json.loads(result.stdout)["audio"]] == ["LC"]
