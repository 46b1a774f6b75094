"""job.json modified in memory: rungs kept, sizes set, audio dropped, frame rate capped, and
every request valid against botocore's own MediaConvert model."""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.routing import Route
from avpipe.config import Settings
from avpipe.errors import ConfigurationError
from avpipe.keys import AssetKeys
from avpipe.planning.asset import Action, plan_asset
from avpipe.planning.jobs import JobTarget, build_audio_job, build_video_job, capped_frame_rate
from avpipe.planning.templates import load_template

VIDEO = load_template(None, "job.json")
AUDIO = load_template(None, "audio_job.json")
STEREO = (AudioTrack("AAC", channels=2, sample_rate=48000),)
TARGET = JobTarget("s3://watch-bucket/inputs/clip.mp4", "s3://public-bucket/audiovideo/clip",
                   "arn:aws:iam::123456789012:role/avpipe-mediaconvert", {"application": "avpipe", "asset": "clip"})


def facts(w: int, h: int, *, rotation: int = 0, par: float = 1.0, fps: float = 30.0,
          audio: tuple[AudioTrack, ...] = STEREO) -> MediaFacts:
    return MediaFacts("MPEG-4", duration_s=10.0,
                      video=VideoTrack("AVC", w, h, pixel_aspect=par, rotation=rotation, frame_rate=fps),
                      audio=audio)


def _model() -> Any:
    return botocore.session.get_session().get_service_model("mediaconvert")


MODEL = _model()


def assert_valid_create_job(request: dict[str, Any]) -> None:
    """Types, required members, ranges and enums via botocore, plus string patterns."""
    shape = MODEL.operation_model("CreateJob").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    _check_patterns_and_enums(request, shape, "CreateJob")


def _check_patterns_and_enums(value: Any, shape: Any, path: str) -> None:
    if shape.type_name == "structure":
        for name, member in value.items():
            _check_patterns_and_enums(member, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            _check_patterns_and_enums(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "map":
        for item in value.values():
            _check_patterns_and_enums(item, shape.value, f"{path}{{}}")
    elif shape.type_name == "string":
        if shape.enum:
            assert value in shape.enum, f"{path}={value!r} not in {shape.enum}"
        pattern = shape.metadata.get("pattern")
        if pattern:
            assert re.search(pattern, value), f"{path}={value!r} does not match {pattern}"


def rungs_of(request: dict[str, Any]) -> list[tuple[str, int, int]]:
    outputs = request["Settings"]["OutputGroups"][0]["Outputs"]
    return [(o["NameModifier"], o["VideoDescription"]["Width"], o["VideoDescription"]["Height"]) for o in outputs]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (facts(1920, 1080), [("_360p", 640, 360), ("_480p", 854, 480), ("_720p", 1280, 720), ("_1080p", 1920, 1080)]),
        (facts(1280, 720), [("_360p", 640, 360), ("_480p", 854, 480), ("_720p", 1280, 720)]),
        (facts(1280, 720, rotation=90), [("_360p", 360, 640), ("_480p", 480, 854), ("_720p", 720, 1280)]),
        (facts(720, 576, par=64 / 45), [("_360p", 640, 360), ("_480p", 854, 480)]),
        (facts(320, 240), [("_240p", 320, 240)]),
    ],
    ids=["1080p", "720p", "portrait-rotated", "anamorphic", "sub-360"],
)
def test_video_job_ladders_are_valid_mediaconvert_requests(source: MediaFacts, expected: list[Any]) -> None:
    plan = build_video_job(VIDEO, source, (360, 480, 720, 1080), TARGET)
    assert rungs_of(plan.request) == expected
    assert_valid_create_job(plan.request)
    settings = plan.request["Settings"]
    assert settings["Inputs"][0]["FileInput"] == TARGET.input_uri
    assert settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"] == \
        TARGET.destination_uri
    assert plan.request["Role"] == TARGET.role_arn
    assert plan.request["UserMetadata"] == TARGET.user_metadata


def test_the_template_is_not_changed_by_planning() -> None:
    before = json.dumps(VIDEO.body, sort_keys=True)
    build_video_job(VIDEO, facts(640, 360, audio=()), (360,), TARGET)
    assert json.dumps(VIDEO.body, sort_keys=True) == before


def test_silent_source_has_no_audio_in_the_job() -> None:
    request = build_video_job(VIDEO, facts(1280, 720, audio=()), (360, 720), TARGET).request
    assert "AudioSelectors" not in request["Settings"]["Inputs"][0]
    assert all("AudioDescriptions" not in o for o in request["Settings"]["OutputGroups"][0]["Outputs"])
    assert_valid_create_job(request)


def test_high_frame_rates_are_capped_at_60() -> None:
    request = build_video_job(VIDEO, facts(1280, 720, fps=119.88), (720,), TARGET).request
    h264 = request["Settings"]["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["H264Settings"]
    assert (h264["FramerateControl"], h264["FramerateNumerator"], h264["FramerateDenominator"]) == \
        ("SPECIFIED", 60000, 1001)
    assert_valid_create_job(request)


@pytest.mark.parametrize(("rate", "expected"), [(30, None), (60, None), (59.94, None), (120, "60"),
                                                  (119.88, "60000/1001"), (100, "50"), (144, "48")])
def test_capped_frame_rate(rate: float, expected: str | None) -> None:
    capped = capped_frame_rate(rate)
    assert (str(capped) if capped is not None else None) == expected


def test_audio_job_follows_the_source_channels_and_rate() -> None:
    mono = MediaFacts("Wave", audio=(AudioTrack("PCM", channels=1, sample_rate=44100),))
    request = build_audio_job(AUDIO, mono, TARGET)
    mp3 = request["Settings"]["OutputGroups"][0]["Outputs"][0]["AudioDescriptions"][0]["CodecSettings"]["Mp3Settings"]
    assert (mp3["Channels"], mp3["SampleRate"]) == (1, 44100)
    assert_valid_create_job(request)
    surround = MediaFacts("FLAC", audio=(AudioTrack("FLAC", channels=6, sample_rate=96000),))
    mp3 = build_audio_job(AUDIO, surround, TARGET)["Settings"]["OutputGroups"][0]["Outputs"][0][
        "AudioDescriptions"][0]["CodecSettings"]["Mp3Settings"]
    assert (mp3["Channels"], mp3["SampleRate"]) == (2, 48000)


def test_asset_plan_for_local_stores_keeps_exact_request_shape() -> None:
    keys = AssetKeys.for_input("inputs/course1/intro.mp4")
    plan = plan_asset(keys, facts(1920, 1080), Route.VIDEO, settings=Settings(), video_template=VIDEO,
                      audio_template=AUDIO, watch_uri=lambda k: f"s3://watch/{k}", public_uri=lambda k: f"s3://pub/{k}")
    assert plan.action is Action.TRANSCODE_VIDEO
    assert plan.outputs[-1] == "audiovideo/course1/intro_1080p.mp4"
    assert plan.mediaconvert_job is not None
    assert plan.mediaconvert_job["UserMetadata"]["asset"] == "course1/intro"
    assert_valid_create_job(plan.mediaconvert_job)
    mp3 = MediaFacts("MPEG Audio", audio=(AudioTrack("MPEG Audio", 2, 44100, codec_profile="Layer 3"),))
    copy_plan = plan_asset(keys, mp3, Route.AUDIO, settings=Settings(), video_template=VIDEO, audio_template=AUDIO,
                           watch_uri=str, public_uri=str)
    assert (copy_plan.action, copy_plan.mediaconvert_job) == (Action.COPY_MP3, None)


def test_the_plan_names_the_stream_manifests() -> None:
    keys = AssetKeys.for_input("inputs/course1/intro.mp4")
    plan = plan_asset(keys, facts(1280, 720), Route.VIDEO, settings=Settings(), video_template=VIDEO,
                      audio_template=AUDIO, watch_uri=lambda k: f"s3://watch/{k}", public_uri=lambda k: f"s3://pub/{k}")
    shown = plan.to_dict()
    assert shown["streams"] == {"hls": "audiovideo/course1/intro.m3u8", "dash": "audiovideo/course1/intro.mpd"}
    groups = shown["mediaconvert_job"]["Settings"]["OutputGroups"]
    assert groups[1]["OutputGroupSettings"]["CmafGroupSettings"]["Destination"] == \
        groups[0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"]


def test_user_template_without_rung_names_is_a_configuration_error(tmp_path: Any) -> None:
    body = VIDEO.fresh()
    body["Settings"]["OutputGroups"][0]["Outputs"][0]["NameModifier"] = "-small"
    path = tmp_path / "job.json"
    path.write_text(json.dumps(body))
    with pytest.raises(ConfigurationError, match="NameModifier"):
        build_video_job(load_template(path, "job.json"), facts(1920, 1080), (360,), TARGET)


@pytest.mark.parametrize("text", ["{", "[]", '{"Settings": {"Inputs": [], "OutputGroups": []}}'])
def test_broken_user_templates(tmp_path: Any, text: str) -> None:
    path = tmp_path / "job.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError):
        load_template(path, "job.json")


@pytest.mark.parametrize(("rate", "expected"), [(29.98, "30000/1001"), (23.9, "24000/1001"), (25.2, "25"),
                                                  (119.0, "60000/1001"), (35.6, None), (10.2, None)])
def test_variable_frame_rate_near_a_standard_rate_is_conformed(rate: float, expected: str | None) -> None:
    vfr = MediaFacts("MPEG-4", video=VideoTrack("AVC", 1280, 720, frame_rate=rate, frame_rate_mode="VFR"),
                     audio=STEREO)
    request = build_video_job(VIDEO, vfr, (720,), TARGET).request
    h264 = request["Settings"]["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["CodecSettings"]["H264Settings"]
    if expected is None:
        assert h264["FramerateControl"] == "INITIALIZE_FROM_SOURCE"
    else:
        assert h264["FramerateControl"] == "SPECIFIED"
        assert f"{h264['FramerateNumerator']}/{h264['FramerateDenominator']}".removesuffix("/1") == expected
    assert_valid_create_job(request)


def test_mono_mp3_keeps_low_rates_and_halves_the_bitrate() -> None:
    mono = MediaFacts("Wave", audio=(AudioTrack("PCM", channels=1, sample_rate=22050),))
    mp3 = build_audio_job(AUDIO, mono, TARGET)["Settings"]["OutputGroups"][0]["Outputs"][0][
        "AudioDescriptions"][0]["CodecSettings"]["Mp3Settings"]
    assert (mp3["Channels"], mp3["SampleRate"], mp3["Bitrate"]) == (1, 22050, 96000)


def stream_outputs(request: dict[str, Any]) -> list[dict[str, Any]]:
    groups = request["Settings"]["OutputGroups"]
    assert [g["OutputGroupSettings"]["Type"] for g in groups] == ["FILE_GROUP_SETTINGS", "CMAF_GROUP_SETTINGS"]
    outputs: list[dict[str, Any]] = groups[1]["Outputs"]
    return outputs


@pytest.mark.parametrize(
    "source",
    [facts(1920, 1080), facts(1280, 720, rotation=90), facts(720, 576, par=64 / 45), facts(320, 240),
     facts(1280, 720, fps=120.0)],
    ids=["1080p", "portrait-rotated", "anamorphic", "sub-360", "120fps"],
)
def test_the_cmaf_group_has_the_same_rungs_and_encodes_as_the_file_group(source: MediaFacts) -> None:
    request = build_video_job(VIDEO, source, (360, 480, 720, 1080), TARGET).request
    files = request["Settings"]["OutputGroups"][0]["Outputs"]
    streams = stream_outputs(request)
    videos = [o for o in streams if "VideoDescription" in o]
    assert [o["NameModifier"] for o in videos] == [o["NameModifier"] for o in files]
    # the same encode: every stream video output is described exactly as its MP4 rendition
    assert [o["VideoDescription"] for o in videos] == [o["VideoDescription"] for o in files]
    audio = [o for o in streams if "VideoDescription" not in o]
    assert [o["NameModifier"] for o in audio] == ["_audio"]
    assert audio[0]["ContainerSettings"]["CmfcSettings"]["AudioGroupId"] == "audio_aac"
    assert all(o["ContainerSettings"]["CmfcSettings"]["AudioRenditionSets"] == "audio_aac" for o in videos)
    cmaf = request["Settings"]["OutputGroups"][1]["OutputGroupSettings"]["CmafGroupSettings"]
    assert cmaf["Destination"] == TARGET.destination_uri
    assert (cmaf["WriteHlsManifest"], cmaf["WriteDashManifest"], cmaf["SegmentLength"]) == ("ENABLED", "ENABLED", 2)
    assert_valid_create_job(request)


def test_a_silent_source_streams_without_an_audio_rendition() -> None:
    request = build_video_job(VIDEO, facts(1280, 720, audio=()), (360, 720), TARGET).request
    streams = stream_outputs(request)
    assert [o["NameModifier"] for o in streams] == ["_360p", "_720p"]
    assert all("AudioRenditionSets" not in o["ContainerSettings"]["CmfcSettings"] for o in streams)
    assert_valid_create_job(request)


def test_audio_job_has_an_audio_only_stream() -> None:
    mono = MediaFacts("Wave", duration_s=3.0, audio=(AudioTrack("PCM", channels=1, sample_rate=44100),))
    request = build_audio_job(AUDIO, mono, TARGET)
    (stream,) = stream_outputs(request)
    assert stream["ContainerSettings"]["CmfcSettings"]["AudioTrackType"] == "AUDIO_ONLY_VARIANT_STREAM"
    aac = stream["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
    assert aac["CodingMode"] == "CODING_MODE_1_0"
    assert request["Settings"]["OutputGroups"][1]["OutputGroupSettings"]["CmafGroupSettings"]["Destination"] == \
        TARGET.destination_uri
    assert_valid_create_job(request)


def test_a_template_without_a_cmaf_group_stays_mp4_only(tmp_path: Any) -> None:
    body = VIDEO.fresh()
    body["Settings"]["OutputGroups"] = body["Settings"]["OutputGroups"][:1]
    path = tmp_path / "job.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    request = build_video_job(load_template(path, "job.json"), facts(1280, 720), (360,), TARGET).request
    assert len(request["Settings"]["OutputGroups"]) == 1


def test_a_second_file_group_is_a_configuration_error(tmp_path: Any) -> None:
    body = VIDEO.fresh()
    body["Settings"]["OutputGroups"].append(body["Settings"]["OutputGroups"][0])
    path = tmp_path / "job.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="CMAF_GROUP_SETTINGS"):
        load_template(path, "job.json")


def test_captions_become_webvtt_subtitle_outputs_of_the_cmaf_group() -> None:
    from avpipe.planning.jobs import StreamCaption

    captions = (StreamCaption("s3://public-bucket/closed-caption/clip.en.vtt", "en"),
                StreamCaption("s3://public-bucket/closed-caption/clip.pt-BR.vtt", "pt-BR"))
    request = build_video_job(VIDEO, facts(1280, 720), (360,), TARGET, captions).request
    selectors = request["Settings"]["Inputs"][0]["CaptionSelectors"]
    assert [s["SourceSettings"]["FileSourceSettings"]["SourceFile"] for s in selectors.values()] == \
        [c.uri for c in captions]
    subtitles = [o for o in stream_outputs(request) if "CaptionDescriptions" in o]
    assert [o["NameModifier"] for o in subtitles] == ["_captions_en", "_captions_pt-BR"]
    assert [o["CaptionDescriptions"][0]["CaptionSelectorName"] for o in subtitles] == list(selectors)
    assert all(o["CaptionDescriptions"][0]["DestinationSettings"]["DestinationType"] == "WEBVTT" for o in subtitles)
    assert_valid_create_job(request)
