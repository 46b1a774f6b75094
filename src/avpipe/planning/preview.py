"""The preview: something a browser plays minutes before the ladder is done (pure).

As soon as an upload is analysed, a second, small job is planned next to the ladder's:

- a **remux** when the source is already what every browser plays (see :func:`browser_safe`):
  MediaConvert's ``PASSTHROUGH`` video codec, ``-c:v copy`` locally, so a 10-minute 1080p
  upload is playable in seconds;
- otherwise the **lowest rung, encoded fast**: the ladder's own smallest output with the
  fastest quality tuning (``SINGLE_PASS``), decoded and encoded on its own before the ladder.

Either way the audio is passed through too (``PASSTHROUGH``, ``-c:a copy``) when it is AAC LC
or HE-AAC, which MediaConvert passes through (as it does Dolby Digital) and every browser plays;
any other audio is encoded with the smallest rung's AAC settings. Encoding 10 minutes of AAC
was most of a remux preview's time (~9 of ~11 s on two cores).

Either way it is one MP4 (``audiovideo/<name>_preview.mp4``), written to its own staging folder
and published only when complete, like every output; the ladder's completion removes it. Its
request carries ``UserMetadata.role = "preview"`` (so its completion is told apart from the
ladder's) and a higher ``Priority`` (MediaConvert starts it first in the queue).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

from avpipe.analysis.facts import MediaFacts

ROLE = "preview"  # UserMetadata "role" of a preview job
NAME_MODIFIER = "_preview"
PRIORITY = 10  # MediaConvert's job priority (-50..50, default 0): the preview goes first
MAX_SHORT_SIDE, MAX_LONG_SIDE = 1080, 1920  # "at most 1080p", either orientation
MAX_FRAME_RATE = 60.5
# H.264 profiles every browser decodes (not High 10, High 4:2:2, High 4:4:4)
SAFE_H264_PROFILES = ("Baseline", "Constrained Baseline", "Main", "High")
# containers whose index (moov, or fragments) the remux reads: MediaInfo calls MP4 and QuickTime "MPEG-4"
SAFE_CONTAINERS = ("MPEG-4",)


def browser_safe(facts: MediaFacts) -> str | None:
    """None when the source can be remuxed as it is for every browser; else why not (a sentence).

    H.264 up to High profile, 8-bit 4:2:0, progressive, square pixels, stored upright, at most
    1080p and 60 fps, in an MP4/QuickTime file, with AAC (LC or HE) audio or none.
    """
    video = facts.video
    if video is None:
        return "it has no video"
    if facts.container not in SAFE_CONTAINERS:
        return f"its container is {facts.container or 'unknown'}, not MP4"
    if video.codec != "AVC":
        return f"its video is {video.codec}, not H.264"
    profile = _profile(video.codec_profile)
    if profile not in SAFE_H264_PROFILES:
        return f"its H.264 profile is {profile or 'unknown'}"
    if video.bit_depth not in (None, 8):
        return f"its video is {video.bit_depth}-bit"
    if (video.chroma_subsampling or "4:2:0") != "4:2:0":
        return f"its chroma is {video.chroma_subsampling}"
    if (video.scan_type or "Progressive") != "Progressive":
        return "its video is interlaced"
    if abs(video.pixel_aspect - 1.0) > 0.01:
        return "its pixels are not square"
    if video.rotation:  # a player may ignore the rotation flag a passthrough keeps; the encode applies it
        return f"its picture is stored rotated ({video.rotation} degrees)"
    short, long = sorted((video.display_width, video.display_height))
    if short > MAX_SHORT_SIDE or long > MAX_LONG_SIDE:
        return f"it is larger than 1080p ({video.display_width}x{video.display_height})"
    if video.frame_rate is not None and video.frame_rate > MAX_FRAME_RATE:
        return f"its frame rate is above 60 ({video.frame_rate:g})"
    if facts.audio:
        audio = facts.audio[0]
        if audio.codec != "AAC":
            return f"its audio is {audio.codec}, not AAC"
        if audio.codec_profile and not _browser_aac(audio.codec_profile):
            return f"its AAC profile is {audio.codec_profile}"
    return None


def audio_passes_through(facts: MediaFacts) -> bool:
    """Whether the preview copies the source's first audio track: AAC LC or HE-AAC (v1/v2).

    MediaConvert's ``PASSTHROUGH`` audio codec takes Dolby Digital (Plus) and AAC LC / HEv1 /
    HEv2 inputs; of those only AAC plays in every browser's MP4. An AAC track whose profile
    MediaInfo does not name is encoded, not guessed at.
    """
    if not facts.audio or facts.audio[0].codec != "AAC":
        return False
    return _browser_aac(facts.audio[0].codec_profile or "")


def _browser_aac(profile: str) -> bool:
    """Whether MediaInfo's AAC profile names LC or HE-AAC (``"LC"``, ``"HE-AACv2 / HE-AAC / LC"``)."""
    return "LC" in profile or "HE" in profile


def _profile(text: str | None) -> str | None:
    """``"High 10@L4"`` -> ``"High 10"`` (MediaInfo's profile, without the level)."""
    return (text or "").partition("@")[0].strip() or None


def build_preview_job(ladder_request: dict[str, Any], facts: MediaFacts, destination_uri: str) -> dict[str, Any]:
    """The CreateJob request of the preview, made from the ladder's own request.

    It reads the same input, writes one MP4 to ``destination_uri`` (its own staging folder)
    and keeps the ladder's smallest rung's audio settings; the video is passed through when
    :func:`browser_safe`, else it is that rung encoded with the fastest tuning.
    """
    request = copy.deepcopy(ladder_request)
    settings = request["Settings"]
    files = settings["OutputGroups"][0]
    smallest = min(files["Outputs"], key=lambda o: int(o["VideoDescription"].get("Height") or 0))
    output = {k: v for k, v in smallest.items() if k != "CaptionDescriptions"}
    output["NameModifier"] = NAME_MODIFIER
    remux = browser_safe(facts) is None
    if remux:
        output["VideoDescription"] = {"CodecSettings": {"Codec": "PASSTHROUGH"}}
    else:
        output["VideoDescription"]["CodecSettings"].get("H264Settings", {})["QualityTuningLevel"] = "SINGLE_PASS"
    if audio_passes_through(facts):
        for description in output.get("AudioDescriptions", []):
            description["CodecSettings"] = {"Codec": "PASSTHROUGH"}
    files["Outputs"] = [output]
    files["OutputGroupSettings"]["FileGroupSettings"]["Destination"] = destination_uri
    settings["OutputGroups"] = [files]
    settings["Inputs"][0].pop("CaptionSelectors", None)  # captions are the stream's, not the preview's
    request["UserMetadata"] = {**request.get("UserMetadata", {}), "role": ROLE,
                               "preview_mode": "remux" if remux else "fast encode"}
    request["Priority"] = PRIORITY
    if "ClientRequestToken" in request:  # idempotent per upload version, and distinct from the ladder's
        request["ClientRequestToken"] = preview_request_token(request["ClientRequestToken"])
    return request


def preview_request_token(ladder_token: str) -> str:
    """The preview's CreateJob idempotency token, from the ladder's (64 hex characters)."""
    return hashlib.sha256(f"{ladder_token}\n{ROLE}".encode()).hexdigest()


def is_preview(user_metadata: Mapping[str, str]) -> bool:
    """Whether a job's UserMetadata marks it as a preview."""
    return user_metadata.get("role") == ROLE


def preview_mode(user_metadata: Mapping[str, str]) -> str:
    """``"remux"`` or ``"fast encode"``: what a preview job does, for logs and the manifest's history."""
    return user_metadata.get("preview_mode", "preview")
