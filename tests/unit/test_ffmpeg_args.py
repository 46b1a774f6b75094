"""MediaConvert settings -> one ffmpeg argument list (pure; no ffmpeg run here)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.errors import UnsupportedSettingError
from avpipe.planning.jobs import JobTarget, build_audio_job, build_video_job
from avpipe.planning.templates import load_template
from avpipe.transcode.ffmpeg_args import ffmpeg_job, qvbr_to_crf
from avpipe.transcode.support import check_supported

TARGET = JobTarget("file:///w/inputs/a.mp4", "file:///p/audiovideo/a", "arn:aws:iam::1:role/r", {})
STEREO = (AudioTrack("AAC", 2, 48000),)


def video_settings(fps: float = 30.0, audio: tuple[AudioTrack, ...] = STEREO) -> dict[str, Any]:
    facts = MediaFacts("MPEG-4", 1000, 1.0, video=VideoTrack("AVC", 1920, 1080, frame_rate=fps), audio=audio)
    return build_video_job(load_template(None, "job.json"), facts, (360, 480, 720, 1080), TARGET).request["Settings"]


def arg_after(args: tuple[str, ...], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def test_one_decode_split_into_every_rung() -> None:
    job = ffmpeg_job(video_settings(), "/in.mp4", "/tmp/x")
    assert job.args.count("-i") == 1
    graph = arg_after(job.args, "-filter_complex")[0]
    assert "split=4" in graph and graph.startswith("[0:V:0]")
    assert [s for s in ("640:360", "854:480", "1280:720", "1920:1080") if f"scale={s}" in graph] == \
        ["640:360", "854:480", "1280:720", "1920:1080"]
    assert [o.name_modifier for o in job.outputs] == ["_360p", "_480p", "_720p", "_1080p"]
    assert arg_after(job.args, "-movflags") == ["+faststart"] * 4
    assert arg_after(job.args, "-c:v") == ["libx264"] * 4
    assert arg_after(job.args, "-maxrate") == ["1200000", "2000000", "4500000", "8000000"]
    assert arg_after(job.args, "-force_key_frames") == ["expr:gte(t,n_forced*2)"] * 4
    assert arg_after(job.args, "-ac") == ["2"] * 4 and arg_after(job.args, "-ar") == ["48000"] * 4
    assert arg_after(job.args, "-protocol_whitelist") == ["file"]


def test_frame_rate_cap_runs_once_before_the_split() -> None:
    graph = arg_after(ffmpeg_job(video_settings(fps=120), "/in.mp4", "/tmp").args, "-filter_complex")[0]
    assert graph.count("fps=60/1") == 1 and graph.index("fps=60/1") < graph.index("split=")


def test_silent_sources_map_no_audio() -> None:
    job = ffmpeg_job(video_settings(audio=()), "/in.mp4", "/tmp")
    assert not any(a.startswith("0:a") for a in job.args)


def test_audio_job_is_mp3_without_video() -> None:
    facts = MediaFacts("Wave", audio=(AudioTrack("PCM", 1, 44100),))
    settings = build_audio_job(load_template(None, "audio_job.json"), facts, TARGET)["Settings"]
    job = ffmpeg_job(settings, "/in.wav", "/tmp")
    assert "-vn" in job.args and arg_after(job.args, "-c:a") == ["libmp3lame"]
    assert arg_after(job.args, "-ac") == ["1"] and arg_after(job.args, "-ar") == ["44100"]
    assert job.outputs[0].extension == ".mp3" and job.outputs[0].name_modifier == ""


def test_rotation_is_ignored_unless_the_template_asks_for_it() -> None:
    settings = video_settings()
    assert "-noautorotate" not in ffmpeg_job(settings, "/in", "/tmp").args
    del settings["Inputs"][0]["VideoSelector"]
    assert "-noautorotate" in ffmpeg_job(settings, "/in", "/tmp").args


@pytest.mark.parametrize(("mode", "expected"), [("VBR", ["-b:v", "3000000"]), ("CBR", ["-minrate", "3000000"])])
def test_rate_control_modes(mode: str, expected: list[str]) -> None:
    settings = video_settings()
    h264 = settings["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["H264Settings"]
    h264.update(RateControlMode=mode, Bitrate=3_000_000)
    args = ffmpeg_job(settings, "/in", "/tmp").args
    index = args.index(expected[0])
    assert list(args[index:index + 2]) == expected


def test_qvbr_mapping_is_monotonic() -> None:
    crfs = [qvbr_to_crf(level) for level in range(1, 11)]
    assert crfs == sorted(crfs, reverse=True) and 15 <= crfs[-1] and crfs[0] <= 40


@pytest.mark.parametrize(
    ("mutate", "setting"),
    [
        (lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"].update(Codec="H_265"),
         "Codec"),
        (lambda s: s["OutputGroups"][0]["OutputGroupSettings"].update(Type="HLS_GROUP_SETTINGS"), "Type"),
        (lambda s: s["OutputGroups"][0]["Outputs"][0].update(CaptionDescriptions=[]), "CaptionDescriptions"),
        (lambda s: s["Inputs"][0].update(InputClippings=[{"StartTimecode": "00:00:01:00"}]), "InputClippings"),
        (lambda s: s["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["H264Settings"].update(
            GopSize="2"), "GopSize"),
    ],
)
def test_unsupported_settings_are_named(mutate: Any, setting: str) -> None:
    settings = copy.deepcopy(video_settings())
    mutate(settings)
    with pytest.raises(UnsupportedSettingError, match=setting):
        check_supported(settings)
    with pytest.raises(UnsupportedSettingError):
        ffmpeg_job(settings, "/in", "/tmp")


def test_packaged_templates_are_fully_supported() -> None:
    check_supported(video_settings())
    check_supported(load_template(None, "audio_job.json").settings)
