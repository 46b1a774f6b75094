"""VMAF with real ffmpeg and libvmaf: a degraded rendition scores lower, scores land in the manifest,
and an ffmpeg without libvmaf is named and replaced by the wheel's for this step."""

from __future__ import annotations

import json
import re
import stat
import tempfile
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.cli import main
from avpipe.errors import ConfigurationError
from avpipe.ffmpeg import find_ffmpeg
from avpipe.ffmpeg.locate import wheel_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.quality.measure import measure_rendition, vmaf_ffmpeg

from media import MediaLibrary, run_ffmpeg

SCHEMA = json.loads(resources.files("avpipe.schemas").joinpath("manifest.schema.json").read_text())
NO_VMAF = """#!/bin/sh
case "$2" in
  -version) echo "ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers" ;;
  -filters) printf ' ... scale V->V x\\n ... psnr VV->V x\\n ... ssim VV->V x\\n' ;;
esac
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 0.5 s 320x180 source, a clean rendition of it and a degraded one (quarter size, crushed)."""
    ffmpeg, folder = wheel_ffmpeg(), tmp_path_factory.mktemp("vmaf")
    source, clean, degraded = folder / "source.mp4", folder / "clean.mp4", folder / "degraded.mp4"
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=0.5", *x264, "-crf", "8",
               str(source))
    run_ffmpeg(ffmpeg, "-i", str(source), *x264, "-crf", "18", str(clean))
    run_ffmpeg(ffmpeg, "-i", str(source), "-vf", "scale=80:44", *x264, "-crf", "45", str(degraded))
    return {"source": source, "clean": clean, "degraded": degraded}


def _vmaf_runner() -> FfmpegRunner:
    return FfmpegRunner(vmaf_ffmpeg(find_ffmpeg()).path)


def test_a_degraded_rendition_scores_lower_than_a_clean_one(clips: dict[str, Path]) -> None:
    track = probe(str(clips["source"])).video
    assert track is not None
    runner = _vmaf_runner()
    clean = measure_rendition(runner, str(clips["source"]), track, str(clips["clean"]))
    degraded = measure_rendition(runner, str(clips["source"]), track, str(clips["degraded"]))
    assert clean.frames == degraded.frames == 12
    assert (degraded.width, degraded.height) == (320, 180)  # upscaled to the source's size
    assert clean.mean > 85 > degraded.mean + 20
    assert degraded.p5 <= degraded.mean and clean.p5 <= clean.mean


def test_an_odd_temporary_folder_does_not_break_the_filter_graph(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    odd = tmp_path / "it's:odd,[x];y"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    track = probe(str(clips["source"])).video
    assert track is not None
    score = measure_rendition(_vmaf_runner(), str(clips["source"]), track, str(clips["clean"]))
    assert score.frames == 12


def _fake_ffmpeg(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ffmpeg"
    path.write_text(NO_VMAF)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_an_ffmpeg_without_libvmaf_is_named_and_the_wheels_is_used(tmp_path: Path) -> None:
    chosen = vmaf_ffmpeg(_fake_ffmpeg(tmp_path / "bin"))
    assert chosen.path == wheel_ffmpeg()
    assert chosen.note == ("The ffmpeg in use (5.1.6-0+deb12u1) has no libvmaf filter, so VMAF is measured with "
                           "the imageio-ffmpeg package's ffmpeg.")


def test_no_ffmpeg_with_libvmaf_at_all_is_one_clear_configuration_error(tmp_path: Path) -> None:
    fake = _fake_ffmpeg(tmp_path / "bin")
    other = _fake_ffmpeg(tmp_path / "other")
    with pytest.raises(ConfigurationError) as caught:
        vmaf_ffmpeg(fake, fallback=lambda: other)
    message = str(caught.value)
    assert "has no libvmaf filter and neither has imageio-ffmpeg's" in message
    assert str(tmp_path) not in message  # no paths, one sentence


def test_avpipe_quality_records_vmaf_per_rendition_in_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "talk.mp4"
    run_ffmpeg(wheel_ffmpeg(), "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24:duration=0.5", "-c:v", "libx264",
               "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", str(source))
    monkeypatch.delenv("AVPIPE_QUALITY", raising=False)
    data = tmp_path / "data"
    assert main(["process", "--data", str(data), str(source)]) == 0
    manifest_path = data / "public" / "json" / "talk.json"
    before = json.loads(manifest_path.read_text())
    assert before["outputs"][0]["quality"] is None
    assert before["usage"]["wall_s"] > 0 and before["usage"]["cpu_s"] > 0  # the job's measured cost
    capsys.readouterr()
    assert main(["quality", "--data", str(data), "talk"]) == 0  # by name: compared with original/
    assert "talk_360p.mp4" in capsys.readouterr().out
    after = json.loads(manifest_path.read_text())
    quality = after["outputs"][0]["quality"]
    assert quality["model"] == "vmaf_v0.6.1" and quality["frames"] == 12
    assert (quality["width"], quality["height"]) == (640, 360)
    assert 80 < quality["vmaf_p5"] <= quality["vmaf_mean"] <= 100
    jsonschema.validate(after, SCHEMA)


def test_the_opt_in_setting_measures_after_each_local_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "clip.mp4"
    run_ffmpeg(wheel_ffmpeg(), "-f", "lavfi", "-i", "testsrc2=size=426x240:rate=24:duration=0.5", "-c:v", "libx264",
               "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(source))
    monkeypatch.setenv("AVPIPE_QUALITY", "1")
    data = tmp_path / "data"
    assert main(["process", "--data", str(data), str(source)]) == 0
    manifest = json.loads((data / "public" / "json" / "clip.json").read_text())
    renditions = [o for o in manifest["outputs"] if o["kind"] == "rendition"]  # not the stream's files
    assert [o["quality"]["frames"] for o in renditions] == [12]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", renditions[0]["quality"]["measured_at"])
    jsonschema.validate(manifest, SCHEMA)


def test_a_name_without_renditions_fails_with_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", "--data", str(tmp_path / "data"), "nothing-here"]) == 2
    # the last line: before it, a note may say that the ffmpeg in use has no libvmaf (Debian's)
    assert capsys.readouterr().err.strip().splitlines()[-1] == "avpipe: There is no asset named 'nothing-here'."


@pytest.mark.parametrize(("clip", "display"), [("rotated", (720, 1280)), ("anamorphic", (1024, 576))])
def test_rotated_and_anamorphic_sources_are_compared_as_displayed(
    media: MediaLibrary, clip: str, display: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AVPIPE_QUALITY", raising=False)
    data = tmp_path / "data"
    source = media.get(clip)
    assert main(["process", "--data", str(data), "--rungs", "360", str(source)]) == 0
    assert main(["quality", "--data", str(data), str(source)]) == 0  # by file: compared with that file
    manifest = json.loads((data / "public" / "json" / f"{source.stem}.json").read_text())
    for output in (o for o in manifest["outputs"] if o["kind"] == "rendition"):
        quality = output["quality"]
        assert (quality["width"], quality["height"]) == display
        assert quality["vmaf_mean"] > 70  # a sideways or squeezed comparison scores far lower


def test_an_upscaled_source_is_told_from_a_native_one_on_generated_clips(tmp_path: Path) -> None:
    from avpipe.quality.upscale import candidates_below, judge
    from avpipe.quality.upscale_probe import roundtrip_psnr

    ffmpeg = wheel_ffmpeg()
    native, upscaled = tmp_path / "native.mp4", tmp_path / "upscaled.mp4"
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-pix_fmt", "yuv420p"]
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=24:duration=0.5,noise=alls=6:allf=t",
               *x264, str(native))
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24:duration=0.5,noise=alls=6:allf=t",
               "-vf", "scale=1280:720:flags=bicubic", *x264, str(upscaled))
    runner = FfmpegRunner(find_ffmpeg())  # psnr is in every ffmpeg avpipe accepts
    verdicts = {}
    for clip in (native, upscaled):
        track = probe(str(clip)).video
        assert track is not None
        candidates = candidates_below((360, 480, 720), 1280, 720)
        verdicts[clip.stem] = judge((360, 480, 720), 720, roundtrip_psnr(runner, str(clip), track, candidates))
    assert verdicts["native"].dropped == ()
    assert (verdicts["upscaled"].detail_height, verdicts["upscaled"].dropped) == (360, (480, 720))


def test_a_low_bitrate_source_caps_its_own_size_rung_below_the_templates_cap(tmp_path: Path) -> None:
    from avpipe.planning.templates import load_template
    from avpipe.quality.bitrate_cap import cap_to_source

    clip = tmp_path / "lean.mp4"
    run_ffmpeg(wheel_ffmpeg(), "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=24:duration=1", "-c:v", "libx264",
               "-preset", "ultrafast", "-b:v", "400k", "-pix_fmt", "yuv420p", str(clip))
    track = probe(str(clip)).video
    assert track is not None and track.bit_rate is not None
    template = load_template(None, "job.json").rung_outputs()[720]["VideoDescription"]["CodecSettings"]["H264Settings"]
    capped = cap_to_source(1280, 720, template["MaxBitrate"], template["HrdBufferSize"],
                           source_width=track.display_width, source_height=track.display_height,
                           source_bitrate=track.bit_rate)
    assert capped.max_bitrate == track.bit_rate < template["MaxBitrate"]
    lower = cap_to_source(640, 360, 1_200_000, None, source_width=1280, source_height=720,
                          source_bitrate=track.bit_rate)
    assert lower.max_bitrate == 1_200_000
