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
    # the MP3, and in the same run (one decode) the AAC track of the audio-only stream
    assert "-vn" in job.args and arg_after(job.args, "-c:a") == ["libmp3lame", "aac"]
    assert arg_after(job.args, "-ac") == ["1", "1"] and arg_after(job.args, "-ar") == ["44100", "48000"]
    assert [(o.extension, o.name_modifier) for o in job.outputs] == [(".mp3", "")]
    assert job.encoded == ("/tmp/out0.mp3", "/tmp/out1.mp4") and job.args.count("-i") == 1
    assert job.stream is not None
    assert [(t.output_index, t.kind) for t in job.stream.tracks] == [(1, "a")]


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


def test_the_stream_is_a_remux_of_the_renditions_own_tracks() -> None:
    job = ffmpeg_job(video_settings(), "/in.mp4", "/tmp/x")
    assert job.args.count("-i") == 1 and len(job.encoded) == 4, "no extra encode for the stream"
    assert job.stream is not None
    # every rung's video from its own MP4; the 128 kb/s audio rendition from the first MP4 with that audio
    assert [(t.output_index, t.kind, t.name_modifier) for t in job.stream.tracks] == [
        (0, "v", "_360p"), (1, "v", "_480p"), (2, "v", "_720p"), (3, "v", "_1080p"), (1, "a", "_audio")]
    args = job.stream.args(list(job.encoded), "/tmp/x/stream")
    assert arg_after(args, "-c") == ["copy"] and "-c:v" not in args and "-filter_complex" not in args
    assert arg_after(args, "-i") == list(job.encoded)
    assert arg_after(args, "-map") == ["0:v:0", "1:v:0", "2:v:0", "3:v:0", "1:a:0"]
    assert arg_after(args, "-seg_duration") == ["2"] and arg_after(args, "-f") == ["dash"]
    assert arg_after(args, "-adaptation_sets") == ["id=0,streams=v id=1,streams=a"]
    assert set(arg_after(args, "-aspect:v:1")) == {"1920:1080"}, "one display aspect in the adaptation set"
    assert job.stream.renames("intro") == {
        "avpipe-master.m3u8": "intro.m3u8", "avpipe-stream.mpd": "intro.mpd",
        "media_0.m3u8": "intro_360p.m3u8", "avpipe-track-0.mp4": "intro_360p.cmfv",
        "media_1.m3u8": "intro_480p.m3u8", "avpipe-track-1.mp4": "intro_480p.cmfv",
        "media_2.m3u8": "intro_720p.m3u8", "avpipe-track-2.mp4": "intro_720p.cmfv",
        "media_3.m3u8": "intro_1080p.m3u8", "avpipe-track-3.mp4": "intro_1080p.cmfv",
        "media_4.m3u8": "intro_audio.m3u8", "avpipe-track-4.mp4": "intro_audio.cmfa"}


def test_a_stream_output_no_rendition_encodes_is_one_more_track_of_the_same_run() -> None:
    settings = video_settings()
    settings["OutputGroups"][1]["Outputs"][-1]["AudioDescriptions"][0]["CodecSettings"]["AacSettings"][
        "Bitrate"] = 64000
    job = ffmpeg_job(settings, "/in.mp4", "/tmp/x")
    assert job.args.count("-i") == 1 and len(job.encoded) == 5 and len(job.outputs) == 4
    assert arg_after(job.args, "-b:a")[-1] == "64000"
    assert job.stream is not None and job.stream.tracks[-1].output_index == 4


def test_without_a_cmaf_group_there_is_no_stream() -> None:
    settings = video_settings()
    del settings["OutputGroups"][1]
    assert ffmpeg_job(settings, "/in.mp4", "/tmp/x").stream is None


def test_unsupported_cmaf_settings_are_named() -> None:
    settings = video_settings()
    settings["OutputGroups"][1]["OutputGroupSettings"]["CmafGroupSettings"]["SegmentControl"] = "SEGMENTED_FILES"
    with pytest.raises(UnsupportedSettingError, match="SegmentControl"):
        check_supported(settings)


@pytest.mark.parametrize(("aq", "expected"), [
    ({}, {}),
    ({"AdaptiveQuantization": "AUTO"}, {}),
    ({"AdaptiveQuantization": "MEDIUM"}, {"-aq-strength": ["0.8"]}),
    ({"AdaptiveQuantization": "MAX", "TemporalAdaptiveQuantization": "DISABLED"},
     {"-aq-strength": ["1.4"], "-mbtree": ["0"]}),
    ({"AdaptiveQuantization": "OFF"}, {"-aq-mode": ["0"]}),
    ({"AdaptiveQuantization": "HIGH", "SpatialAdaptiveQuantization": "DISABLED"}, {"-aq-mode": ["0"]}),
])
def test_adaptive_quantization_becomes_x264s(aq: dict[str, str], expected: dict[str, list[str]]) -> None:
    settings = video_settings()
    outputs = settings["OutputGroups"][0]["Outputs"]
    settings["OutputGroups"] = settings["OutputGroups"][:1]
    settings["OutputGroups"][0]["Outputs"] = outputs[:1]
    h264 = outputs[0]["VideoDescription"]["CodecSettings"]["H264Settings"]
    for key in [k for k in h264 if k.endswith("AdaptiveQuantization")]:
        del h264[key]
    h264.update(aq)
    args = ffmpeg_job(settings, "/in.mp4", "/tmp/x").args
    assert {flag: arg_after(args, flag) for flag in ("-aq-mode", "-aq-strength", "-mbtree") if flag in args} == expected


@pytest.mark.parametrize(("video", "flags"), [
    ({}, "lanczos:param0=3"),
    ({"AntiAlias": "ENABLED", "Sharpness": 0}, "lanczos:param0=2"),
    ({"AntiAlias": "ENABLED", "Sharpness": 100}, "lanczos:param0=4"),
    ({"AntiAlias": "DISABLED", "Sharpness": 100}, "fast_bilinear"),
])
def test_anti_alias_and_sharpness_choose_the_scaler(video: dict[str, Any], flags: str) -> None:
    from avpipe.transcode.ffmpeg_args import scaler

    assert scaler(video) == flags
    settings = video_settings()
    for output in settings["OutputGroups"][0]["Outputs"]:
        output["VideoDescription"].update(video)
    graph = arg_after(ffmpeg_job(settings, "/in.mp4", "/tmp/x").args, "-filter_complex")[0]
    assert graph.count(f"flags={flags}") == 4
