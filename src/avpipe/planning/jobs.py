"""Turning a job template into the exact MediaConvert ``CreateJob`` request for one source.

The template is modified in memory, as the seed describes: keep only the rungs that
apply, set their sizes, the input, the destination and the name modifiers; drop audio
for silent sources; cap the frame rate at 60. The result is what the MediaConvert
backend sends and what the local ffmpeg backend executes.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from avpipe.analysis.facts import MediaFacts
from avpipe.errors import BadInputError, ConfigurationError
from avpipe.planning.ladder import RenditionSize, plan_ladder
from avpipe.planning.templates import JobTemplate, stream_group
from avpipe.quality.bitrate_cap import cap_to_source
from avpipe.quality.upscale import rungs_within_detail

MAX_FRAME_RATE = 60
MP3_SAMPLE_RATES = (22050, 24000, 32000, 44100, 48000)  # what MediaConvert's MP3 encoder takes
VFR_CONFORM_TOLERANCE = 0.05
# variable frame rates within the tolerance of one of these are conformed to it (MediaConvert outputs CFR)
STANDARD_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
                  Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60))
STATUS_UPDATE_DEFAULT = "SECONDS_30"


@dataclass(frozen=True)
class JobTarget:
    """Where a job reads and writes, and how it is labelled."""

    input_uri: str  # e.g. s3://watch/inputs/course1/intro.mp4
    destination_uri: str  # output base, e.g. s3://public/audiovideo/course1/intro
    role_arn: str
    user_metadata: dict[str, str]
    request_token: str | None = None  # CreateJob's ClientRequestToken (see client_request_token)


@dataclass(frozen=True)
class StreamCaption:
    """A WebVTT file to carry in the stream as a subtitle rendition (one per language)."""

    uri: str  # e.g. s3://public/closed-caption/course1/intro.en.vtt
    language: str | None = None  # "en", "pt-BR"; None when the captions name none


@dataclass(frozen=True)
class VideoJobPlan:
    request: dict[str, Any]  # CreateJob parameters
    renditions: tuple[RenditionSize, ...]
    notes: tuple[str, ...] = ()  # why the ladder differs from the template's (source rules), for the manifest


def build_video_job(
    template: JobTemplate, facts: MediaFacts, rungs: tuple[int, ...], target: JobTarget,
    captions: tuple[StreamCaption, ...] = (),
) -> VideoJobPlan:
    """The CreateJob request that produces this source's rendition ladder (and its stream, with
    ``captions`` as subtitle renditions when the template has a CMAF group)."""
    if facts.video is None:
        raise BadInputError("The file has no video track to transcode.")
    video = facts.video
    sizes = plan_ladder(video.display_width, video.display_height, rungs)
    kept, dropped = rungs_within_detail([s.rung for s in sizes], video.detail_height)  # an upscale's rungs
    sizes = tuple(s for s in sizes if s.rung in kept)
    available = template.rung_outputs()
    missing = [s.rung for s in sizes if s.from_ladder and s.rung not in available]
    if missing:
        raise ConfigurationError(f"Job template {template.source} has no output for rung(s) {missing}.")
    body = template.fresh()
    outputs = []
    notes = [dropped] if dropped else []
    for size in sizes:
        source_rung = size.rung if size.from_ladder else min(available)
        outputs.append(_rendition_output(available[source_rung], size, facts))
        capped = _cap_to_source(copy.deepcopy(_h264(available[source_rung])), size, facts)
        if capped:
            notes.append(capped)
    settings = body["Settings"]
    settings["OutputGroups"][0]["Outputs"] = outputs
    _trim_stream_group(settings, sizes, facts)
    _add_subtitles(settings, captions)
    _point(settings, target)
    if not facts.has_audio:
        settings["Inputs"][0].pop("AudioSelectors", None)
    return VideoJobPlan(request=_request(body, target), renditions=sizes, notes=tuple(notes))


def _trim_stream_group(settings: dict[str, Any], sizes: tuple[RenditionSize, ...], facts: MediaFacts) -> None:
    """The CMAF group gets the same rungs, sizes and frame rate as the File group (so each of its
    video outputs is the same encode as an MP4 rendition), and loses its audio for a silent source."""
    group = stream_group(settings)
    if group is None:
        return
    videos = {o.get("NameModifier"): o for o in group["Outputs"] if "VideoDescription" in o}
    rungs = {int(m[1:-1]): o for m, o in videos.items() if m and m.startswith("_") and m.endswith("p")
             and m[1:-1].isdigit()}
    outputs = []
    for size in sizes:
        source = rungs.get(size.rung if size.from_ladder else min(rungs, default=-1))
        if source is not None:
            outputs.append(_rendition_output(source, size, facts))
    if facts.has_audio:
        outputs += [o for o in group["Outputs"] if "VideoDescription" not in o]
    else:
        for output in outputs:
            output.get("ContainerSettings", {}).get("CmfcSettings", {}).pop("AudioRenditionSets", None)
    if outputs:
        group["Outputs"] = outputs
    else:  # nothing of the group applies to this source
        settings["OutputGroups"].remove(group)


def _add_subtitles(settings: dict[str, Any], captions: tuple[StreamCaption, ...]) -> None:
    """One caption selector per WebVTT file and one WebVTT output per language in the CMAF group."""
    group = stream_group(settings)
    if group is None or not captions:
        return
    selectors = settings["Inputs"][0].setdefault("CaptionSelectors", {})
    for number, caption in enumerate(captions, start=1):
        name = f"Captions Selector {number}"
        selectors[name] = {"SourceSettings": {"SourceType": "WEBVTT",
                                              "FileSourceSettings": {"SourceFile": caption.uri}}}
        description: dict[str, Any] = {
            "CaptionSelectorName": name,
            "DestinationSettings": {"DestinationType": "WEBVTT",
                                    "WebvttDestinationSettings": {"StylePassthrough": "DISABLED"}}}
        if caption.language:
            description["CustomLanguageCode"] = caption.language
            description["LanguageDescription"] = caption.language
        suffix = caption.language or str(number)
        group["Outputs"].append({"NameModifier": f"_captions_{suffix}", "CaptionDescriptions": [description]})


def build_audio_job(template: JobTemplate, facts: MediaFacts, target: JobTarget) -> dict[str, Any]:
    """The CreateJob request that turns an audio file into MP3."""
    if not facts.has_audio:
        raise BadInputError("The file has no audio track.")
    body = template.fresh()
    settings = body["Settings"]
    _point(settings, target)
    source = facts.audio[0]
    group = stream_group(settings)
    for output in group["Outputs"] if group else ():
        for description in output.get("AudioDescriptions", []):
            aac = description.get("CodecSettings", {}).get("AacSettings")
            if aac is not None and source.channels == 1:
                aac["CodingMode"] = "CODING_MODE_1_0"
    for output in settings["OutputGroups"][0]["Outputs"]:
        for description in output.get("AudioDescriptions", []):
            mp3 = description.get("CodecSettings", {}).get("Mp3Settings")
            if mp3 is None:
                continue
            if source.channels == 1:  # mono keeps one channel, at half the stereo bitrate
                mp3["Channels"] = 1
                if mp3.get("RateControlMode", "CBR") == "CBR" and "Bitrate" in mp3:
                    mp3["Bitrate"] = max(32000, mp3["Bitrate"] // 2)
            else:
                mp3["Channels"] = 2
            if source.sample_rate in MP3_SAMPLE_RATES:
                mp3["SampleRate"] = source.sample_rate
    return _request(body, target)


def _rendition_output(template_output: dict[str, Any], size: RenditionSize, facts: MediaFacts) -> dict[str, Any]:
    output = copy.deepcopy(template_output)
    output["NameModifier"] = size.name_modifier
    description = output["VideoDescription"]
    description["Width"], description["Height"] = size.width, size.height
    h264 = description.get("CodecSettings", {}).get("H264Settings")
    rate = output_frame_rate(facts)
    if h264 is not None and rate is not None:
        h264["FramerateControl"] = "SPECIFIED"
        h264["FramerateNumerator"], h264["FramerateDenominator"] = rate.numerator, rate.denominator
        h264.setdefault("FramerateConversionAlgorithm", "DUPLICATE_DROP")
    if h264 is not None:
        _cap_to_source(h264, size, facts)
    if not facts.has_audio:
        output.pop("AudioDescriptions", None)
    return output


def _cap_to_source(h264: dict[str, Any], size: RenditionSize, facts: MediaFacts) -> str | None:
    """Never more bits than the source: a rendition at or near the source's size gets the source's
    video bitrate as its MaxBitrate (HrdBufferSize scaled alike), in whichever group it is.
    Returns why, or None when the template's cap stays."""
    video = facts.video
    if video is None or "MaxBitrate" not in h264:
        return None
    capped = cap_to_source(size.width, size.height, h264["MaxBitrate"], h264.get("HrdBufferSize"),
                           source_width=video.display_width, source_height=video.display_height,
                           source_bitrate=source_video_bitrate(facts))
    if capped.reason is None:
        return None
    h264["MaxBitrate"] = capped.max_bitrate
    if capped.buffer_size is not None:
        h264["HrdBufferSize"] = capped.buffer_size
    return f"{size.name_modifier}: {capped.reason}"


def _h264(output: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = output.get("VideoDescription", {}).get("CodecSettings", {}).get("H264Settings", {})
    return settings


def source_video_bitrate(facts: MediaFacts) -> int | None:
    """The source's video bitrate: MediaInfo's, else the overall rate less the audio's (None if unknown)."""
    video = facts.video
    if video is None:
        return None
    if video.bit_rate:
        return video.bit_rate
    audio = [track.bit_rate for track in facts.audio]
    if facts.overall_bit_rate and all(audio):
        rest = facts.overall_bit_rate - sum(rate for rate in audio if rate)
        return rest if rest > 0 else None
    return None


def output_frame_rate(facts: MediaFacts) -> Fraction | None:
    """The rate to encode at when it differs from the source's: capped at 60, and a variable
    frame rate within 5 % of a standard rate conformed to it. None keeps the source's rate."""
    video = facts.video
    if video is None or video.frame_rate is None:
        return None
    capped = capped_frame_rate(video.frame_rate)
    if (video.frame_rate_mode or "").upper() != "VFR":
        return capped
    rate = float(capped) if capped is not None else video.frame_rate
    nearest = min(STANDARD_RATES, key=lambda standard: abs(float(standard) / rate - 1))
    # phones wobble around a standard rate: conform those; leave genuinely variable ones alone
    return nearest if abs(float(nearest) / rate - 1) <= VFR_CONFORM_TOLERANCE else capped


def capped_frame_rate(rate: float | None) -> Fraction | None:
    """For sources above 60 fps, the rate divided by the smallest whole number that brings it
    to 60 or below (120 -> 60, 119.88 -> 59.94, 100 -> 50); None when no change is needed."""
    if rate is None or rate <= MAX_FRAME_RATE + 0.01:
        return None
    divisor = 2
    while rate / divisor > MAX_FRAME_RATE + 0.01:
        divisor += 1
    exact = _as_fraction(rate) / divisor
    return exact.limit_denominator(1001)


def _as_fraction(rate: float) -> Fraction:
    """Recognise NTSC-style rates (x/1.001) so 119.88 becomes 120000/1001."""
    ntsc = Fraction(round(rate * 1.001)) / Fraction(1001, 1000)
    if abs(float(ntsc) - rate) < 0.005 and abs(round(rate) - rate) > 0.005:
        return ntsc
    return Fraction(rate).limit_denominator(1001)


def _point(settings: dict[str, Any], target: JobTarget) -> None:
    settings["Inputs"][0]["FileInput"] = target.input_uri
    group = settings["OutputGroups"][0]["OutputGroupSettings"]
    group["FileGroupSettings"]["Destination"] = target.destination_uri
    stream = stream_group(settings)
    if stream is not None:  # the same base: name.m3u8, name.mpd, name_720p.cmfv ... beside name_720p.mp4
        stream["OutputGroupSettings"]["CmafGroupSettings"]["Destination"] = target.destination_uri


def _request(body: dict[str, Any], target: JobTarget) -> dict[str, Any]:
    request = {key: value for key, value in body.items() if key != "Settings"}
    request.setdefault("StatusUpdateInterval", STATUS_UPDATE_DEFAULT)
    request["Role"] = target.role_arn
    request["Settings"] = body["Settings"]
    request["UserMetadata"] = {**body.get("UserMetadata", {}), **target.user_metadata}
    if target.request_token:
        request["ClientRequestToken"] = target.request_token
    return request


def client_request_token(input_uri: str, version: str) -> str:
    """An idempotency token for one version of one upload: 64 hex characters.

    ``input_uri`` names bucket and key (``s3://bucket/inputs/a.mp4``), ``version`` is the
    object's ETag. A re-delivered S3 event for the same object gives the same token, so
    MediaConvert returns the job it already made instead of starting (and billing) another;
    a new upload under the same key has a new ETag and so a new job.
    """
    return hashlib.sha256(f"{input_uri}\n{version}".encode()).hexdigest()
