"""The two source rules on generated clips, through ``avpipe plan`` and ``avpipe process``: a 480p
picture delivered as 1080p gets no 720p/1080p rungs, a native 1080p keeps them; a lean source's
own-size rung is capped at its bitrate in both output groups; the reasons reach the plan and the manifest."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.cli import main

from media import run_ffmpeg

SCHEMA = json.loads(resources.files("avpipe.schemas").joinpath("manifest.schema.json").read_text())
GRAINY = "testsrc2=size={size}:rate=25:duration={duration},noise=alls=6:allf=t"
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "14", "-g", "25", "-pix_fmt", "yuv420p"]


def _clip(ffmpeg: str, path: Path, picture: str, shown: str, duration: float = 1.0, *extra: str) -> Path:
    """A clip whose picture is made at ``picture`` and delivered at ``shown`` (bicubic upscale when they differ)."""
    scale = ["-vf", f"scale={shown.replace('x', ':')}:flags=bicubic"] if picture != shown else []
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", GRAINY.format(size=picture, duration=duration), *scale, *X264,
               *extra, str(path))
    return path


def _plan(capsys: pytest.CaptureFixture[str], data: Path, source: Path, *env: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["plan", "--json", "--data", str(data), "--rungs", "360,480,720,1080", str(source)]) == 0
    plan: dict[str, Any] = json.loads(capsys.readouterr().out)
    return plan


def _video_outputs(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per group type, the H.264 settings of each video output, by name modifier order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for group in request["Settings"]["OutputGroups"]:
        kind = group["OutputGroupSettings"]["Type"]
        found[kind] = [o for o in group["Outputs"] if "VideoDescription" in o]
    return found


def test_a_480p_picture_delivered_as_1080p_gets_no_720p_or_1080p_rung(
    tmp_path: Path, media_ffmpeg: str, capsys: pytest.CaptureFixture[str],
) -> None:
    source = _clip(media_ffmpeg, tmp_path / "upscaled.mp4", "854x480", "1920x1080")
    plan = _plan(capsys, tmp_path / "data", source)
    assert [r["rung"] for r in plan["renditions"]] == [360, 480]
    assert any("upscale" in note and "720p, 1080p" in note for note in plan["notes"]), plan["notes"]
    for outputs in _video_outputs(plan["mediaconvert_job"]).values():  # the stream too
        assert [o["NameModifier"] for o in outputs] == ["_360p", "_480p"]


def test_a_native_1080p_keeps_every_rung(tmp_path: Path, media_ffmpeg: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = _clip(media_ffmpeg, tmp_path / "native.mp4", "1920x1080", "1920x1080")
    plan = _plan(capsys, tmp_path / "data", source)
    assert [r["rung"] for r in plan["renditions"]] == [360, 480, 720, 1080]
    assert not any("upscale" in note for note in plan["notes"])


def test_the_check_is_skipped_when_switched_off(
    tmp_path: Path, media_ffmpeg: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVPIPE_DETAIL_PROBE", "0")
    source = _clip(media_ffmpeg, tmp_path / "upscaled.mp4", "854x480", "1920x1080")
    assert [r["rung"] for r in _plan(capsys, tmp_path / "data", source)["renditions"]] == [360, 480, 720, 1080]


def test_a_lean_source_caps_its_own_size_rung_at_its_bitrate_in_both_groups(
    tmp_path: Path, media_ffmpeg: str, capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "lean.mp4"
    run_ffmpeg(media_ffmpeg, "-f", "lavfi", "-i", GRAINY.format(size="1280x720", duration=2), "-c:v", "libx264",
               "-preset", "ultrafast", "-b:v", "600k", "-maxrate", "600k", "-bufsize", "1200k", "-pix_fmt",
               "yuv420p", str(source))
    plan = _plan(capsys, tmp_path / "data", source)
    bitrate = probe(str(source)).video.bit_rate  # type: ignore[union-attr]
    assert bitrate is not None
    groups = _video_outputs(plan["mediaconvert_job"])
    assert set(groups) == {"FILE_GROUP_SETTINGS", "CMAF_GROUP_SETTINGS"}
    for outputs in groups.values():
        h264 = {o["NameModifier"]: o["VideoDescription"]["CodecSettings"]["H264Settings"] for o in outputs}
        assert h264["_720p"]["MaxBitrate"] == bitrate < 4_500_000  # the template's 720p cap is 4.5 Mb/s
        assert h264["_720p"]["HrdBufferSize"] == round(h264["_720p"]["MaxBitrate"] * 2)  # the template's 2x ratio
        assert h264["_360p"]["MaxBitrate"] == 1_200_000  # smaller rungs keep their caps
    assert any(note.startswith("_720p: capped at the source's video bitrate") for note in plan["notes"])


def test_the_reasons_are_recorded_in_the_manifest(tmp_path: Path, media_ffmpeg: str) -> None:
    source = _clip(media_ffmpeg, tmp_path / "soft.mp4", "640x360", "1280x720", 0.5)
    data = tmp_path / "data"
    assert main(["process", "--data", str(data), "--rungs", "360,480,720", str(source)]) == 0
    manifest = json.loads((data / "public" / "json" / "soft.json").read_text())
    jsonschema.validate(manifest, SCHEMA)
    assert [o["rung"] for o in manifest["outputs"] if o["kind"] == "rendition"] == [360]
    assert manifest["media"]["video"]["detail_height"] == 360
    assert any("no detail beyond 360p" in note for note in manifest["notes"])
