"""The preview job, planned: remux for browser-safe sources, the lowest rung fast otherwise;
valid against botocore's MediaConvert model and executable by the local backend."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_jobs import AUDIO, VIDEO, assert_valid_create_job

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.routing import Route
from avpipe.config import Settings
from avpipe.keys import AssetKeys
from avpipe.planning.asset import plan_asset
from avpipe.planning.preview import PRIORITY, browser_safe, is_preview, preview_request_token
from avpipe.transcode.ffmpeg_args import ffmpeg_job
from avpipe.transcode.support import check_supported

AAC = AudioTrack("AAC", channels=2, sample_rate=48000, codec_profile="LC")
SAFE = MediaFacts("MPEG-4", duration_s=600.0, audio=(AAC,),
                  video=VideoTrack("AVC", 1920, 1080, frame_rate=30.0, codec_profile="High@L4",
                                   chroma_subsampling="4:2:0", bit_depth=8, scan_type="Progressive"))


def video(**changes: object) -> MediaFacts:
    assert SAFE.video is not None
    return replace(SAFE, video=replace(SAFE.video, **changes))  # type: ignore[arg-type]


def plan(facts: MediaFacts, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    return plan_asset(AssetKeys.for_input("inputs/talk.mp4"), facts, Route.VIDEO, settings=settings or Settings(),
                      video_template=VIDEO, audio_template=AUDIO, watch_uri=lambda k: f"s3://watch/{k}",
                      public_uri=lambda k: f"s3://public/{k}", upload_version="etag-1")


@pytest.mark.parametrize(("facts", "reason"), [
    (SAFE, None),
    (video(codec_profile="Main@L3.1"), None),
    (video(codec_profile="Constrained Baseline@L3"), None),
    (replace(SAFE, audio=()), None),
    (replace(SAFE, audio=(replace(AAC, codec_profile="HE-AAC / LC"),)), None),
    (video(width=1080, height=1920), None),  # portrait 1080p
    (video(codec="HEVC", codec_profile="Main@L4"), "its video is HEVC, not H.264"),
    (video(codec_profile="High 10@L4"), "its H.264 profile is High 10"),
    (video(codec_profile="High 4:4:4 Predictive@L4"), "its H.264 profile is High 4:4:4 Predictive"),
    (video(bit_depth=10), "its video is 10-bit"),
    (video(chroma_subsampling="4:2:2"), "its chroma is 4:2:2"),
    (video(scan_type="Interlaced"), "its video is interlaced"),
    (video(pixel_aspect=4 / 3, width=1440), "its pixels are not square"),
    (video(rotation=90), "its picture is stored rotated (90 degrees)"),
    (video(width=2560, height=1440), "it is larger than 1080p (2560x1440)"),
    (video(frame_rate=120.0), "its frame rate is above 60 (120)"),
    (replace(SAFE, container="Matroska"), "its container is Matroska, not MP4"),
    (replace(SAFE, audio=(AudioTrack("Opus", channels=2),)), "its audio is Opus, not AAC"),
    (replace(SAFE, audio=(replace(AAC, codec_profile="Main"),)), "its AAC profile is Main"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_browser_safe_names_what_a_browser_would_not_play(facts: MediaFacts, reason: str | None) -> None:
    assert browser_safe(facts) == reason


def test_a_browser_safe_source_is_remuxed_by_a_valid_passthrough_request() -> None:
    planned = plan(SAFE)
    request = planned.preview_job
    assert request is not None and planned.preview == "audiovideo/talk_preview.mp4" and planned.preview_reason is None
    assert_valid_create_job(request)
    [group] = request["Settings"]["OutputGroups"]  # the File group only: no stream, one MP4
    [output] = group["Outputs"]
    assert output["NameModifier"] == "_preview" and output["VideoDescription"] == {
        "CodecSettings": {"Codec": "PASSTHROUGH"}}
    assert output["AudioDescriptions"][0]["CodecSettings"] == {"Codec": "PASSTHROUGH"}  # AAC LC: copied too
    destination = group["OutputGroupSettings"]["FileGroupSettings"]["Destination"]
    ladder = planned.mediaconvert_job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]
    assert destination.startswith("s3://public/staging/") and destination != ladder["Destination"]
    assert is_preview(request["UserMetadata"]) and not is_preview(planned.mediaconvert_job["UserMetadata"])
    assert request["Priority"] == PRIORITY > planned.mediaconvert_job.get("Priority", 0)
    assert request["ClientRequestToken"] == preview_request_token(planned.mediaconvert_job["ClientRequestToken"])
    check_supported(request["Settings"])
    args = ffmpeg_job(request["Settings"], "/in.mp4", "/out").args
    assert "-filter_complex" not in args  # nothing is decoded
    at = args.index("-c:v")
    assert args[at - 2:at + 2] == ("-map", "0:V:0", "-c:v", "copy")
    assert args[args.index("-c:a") + 1] == "copy" and "-b:a" not in args


@pytest.mark.parametrize(("audio", "copied"), [
    (AAC, True),
    (replace(AAC, codec_profile="HE-AAC / LC"), True),
    (replace(AAC, codec_profile="HE-AACv2 / HE-AAC / LC"), True),
    (replace(AAC, codec_profile=None), False),  # a profile MediaInfo does not name is not guessed at
    (AudioTrack("AC-3", channels=6, sample_rate=48000), False),  # MediaConvert could; browsers would not play it
    (AudioTrack("PCM", channels=2, sample_rate=48000), False),
], ids=["lc", "he", "he-v2", "unnamed", "ac3", "pcm"])
def test_the_preview_copies_aac_audio_and_encodes_any_other(audio: AudioTrack, copied: bool) -> None:
    for facts in (replace(SAFE, audio=(audio,)), replace(video(bit_depth=10), audio=(audio,))):  # remux, fast encode
        request = plan(facts).preview_job
        assert request is not None
        assert_valid_create_job(request)
        check_supported(request["Settings"])
        codec = request["Settings"]["OutputGroups"][0]["Outputs"][0]["AudioDescriptions"][0]["CodecSettings"]
        assert (codec == {"Codec": "PASSTHROUGH"}) is copied and (codec["Codec"] == "AAC") is not copied
        args = ffmpeg_job(request["Settings"], "/in.mp4", "/out").args
        assert (args[args.index("-c:a") + 1] == "copy") is copied


def test_the_ladder_never_copies_audio() -> None:
    for output in plan(SAFE).mediaconvert_job["Settings"]["OutputGroups"][0]["Outputs"]:
        assert output["AudioDescriptions"][0]["CodecSettings"]["Codec"] == "AAC"


def test_any_other_source_gets_its_lowest_rung_encoded_fast() -> None:
    planned = plan(video(codec_profile="High 10@L5", bit_depth=10))
    request = planned.preview_job
    assert request is not None and planned.preview_reason == "its H.264 profile is High 10"
    assert_valid_create_job(request)
    [output] = request["Settings"]["OutputGroups"][0]["Outputs"]
    lowest = planned.mediaconvert_job["Settings"]["OutputGroups"][0]["Outputs"][0]
    assert (output["VideoDescription"]["Width"], output["VideoDescription"]["Height"]) == (640, 360)
    h264 = output["VideoDescription"]["CodecSettings"]["H264Settings"]
    assert h264["QualityTuningLevel"] == "SINGLE_PASS"  # x264 veryfast locally
    assert {k: v for k, v in h264.items() if k != "QualityTuningLevel"} == {
        k: v for k, v in lowest["VideoDescription"]["CodecSettings"]["H264Settings"].items()
        if k != "QualityTuningLevel"}
    args = ffmpeg_job(request["Settings"], "/in.mp4", "/out").args
    assert args[args.index("-preset") + 1] == "veryfast" and "scale=640:360" in args[args.index("-filter_complex") + 1]


def test_the_plan_shows_the_preview_and_it_can_be_switched_off() -> None:
    shown = plan(SAFE).to_dict()["preview"]
    assert shown["key"] == "audiovideo/talk_preview.mp4" and shown["mode"] == "remux"
    assert shown["mediaconvert_job"]["Priority"] == PRIORITY
    off = plan(SAFE, Settings(preview=False))
    assert off.preview_job is None and off.to_dict()["preview"] is None
    assert Settings.from_env({"AVPIPE_PREVIEW": "0"}).preview is False
