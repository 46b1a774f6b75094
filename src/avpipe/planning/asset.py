"""The whole plan for one upload: route, output keys, renditions and the MediaConvert job.

Pure: it needs the media facts and the stores' URI functions, nothing that does I/O.
``avpipe plan`` prints it; the media handler executes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.routing import Route
from avpipe.config import Settings
from avpipe.keys import AssetKeys
from avpipe.planning.bounds import duration_metadata
from avpipe.planning.jobs import JobTarget, StreamCaption, build_audio_job, build_video_job, client_request_token
from avpipe.planning.ladder import RenditionSize
from avpipe.planning.preview import NAME_MODIFIER as PREVIEW_MODIFIER
from avpipe.planning.preview import browser_safe, build_preview_job
from avpipe.planning.templates import JobTemplate, stream_group


class Action(StrEnum):
    COPY_MP3 = "copy_mp3"
    TRANSCODE_AUDIO = "transcode_audio"
    TRANSCODE_VIDEO = "transcode_video"
    CONVERT_CAPTIONS = "convert_captions"
    REJECT = "reject"


@dataclass(frozen=True)
class AssetPlan:
    keys: AssetKeys
    route: Route
    action: Action
    outputs: tuple[str, ...] = ()  # public keys the media outputs will have
    renditions: tuple[RenditionSize, ...] = ()
    mediaconvert_job: dict[str, Any] | None = None  # CreateJob parameters
    thumbnail: str | None = None
    streams: dict[str, str] | None = None  # {"hls": master playlist key, "dash": MPD key} with a CMAF group
    preview_job: dict[str, Any] | None = None  # CreateJob parameters of the preview, run before the ladder
    preview: str | None = None  # the preview's public key
    preview_reason: str | None = None  # why the preview is an encode, not a remux (None for a remux)
    notes: tuple[str, ...] = ()  # why the renditions differ from the template's (never more bits than the source...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.keys.name,
            "input": self.keys.input_key,
            "kind": str(self.route),
            "action": str(self.action),
            "renditions": [
                {"rung": r.rung, "width": r.width, "height": r.height, "key": self.keys.rendition(r.name_modifier)}
                for r in self.renditions
            ],
            "outputs": list(self.outputs),
            "original": self.keys.original,
            "manifest": self.keys.manifest,
            "thumbnail": self.thumbnail,
            "streams": self.streams,
            "notes": list(self.notes),
            "preview": {"key": self.preview, "mode": "encode" if self.preview_reason else "remux",
                        "reason": self.preview_reason, "mediaconvert_job": self.preview_job} if self.preview else None,
            "mediaconvert_job": self.mediaconvert_job,
        }


def staging_token(keys: AssetKeys, upload_version: str | None) -> str:
    """A folder name for one job's unpublished outputs, unique per upload version and attempt."""
    return hashlib.sha256(f"{keys.input_key}\0{upload_version or ''}".encode()).hexdigest()[:16]


def plan_asset(
    keys: AssetKeys,
    facts: MediaFacts,
    route: Route,
    *,
    settings: Settings,
    video_template: JobTemplate,
    audio_template: JobTemplate,
    watch_uri: Callable[[str], str],
    public_uri: Callable[[str], str],
    upload_version: str | None = None,
    captions: tuple[tuple[str, str | None], ...] = (),
) -> AssetPlan:
    """Decide everything that processing ``keys.input_key`` will do.

    ``upload_version`` (the upload's ETag) makes the job request idempotent per upload.
    ``captions``: (public key, language) of the asset's WebVTT files already published; a
    video's stream carries them as subtitle renditions.
    """
    if route is Route.CAPTION:
        return AssetPlan(keys, route, Action.CONVERT_CAPTIONS, outputs=(keys.caption(),))
    if route is Route.UNSUPPORTED:
        return AssetPlan(keys, route, Action.REJECT)
    if route is Route.AUDIO and facts.is_mp3:
        return AssetPlan(keys, route, Action.COPY_MP3, outputs=(keys.audio,))
    input_uri = watch_uri(keys.input_key)
    target = JobTarget(
        input_uri=input_uri,
        destination_uri=public_uri(keys.staging_base(staging_token(keys, upload_version))),
        role_arn=settings.mediaconvert_role_arn,
        user_metadata={"application": settings.application_name, "asset": keys.name, "input": keys.input_key,
                       **duration_metadata(facts.duration_s)},
        request_token=client_request_token(input_uri, upload_version) if upload_version else None,
    )
    if route is Route.AUDIO:
        request = build_audio_job(audio_template, facts, target)
        return AssetPlan(keys, route, Action.TRANSCODE_AUDIO, outputs=(keys.audio,), mediaconvert_job=request,
                         streams=_streams(keys, request))
    subtitles = tuple(StreamCaption(public_uri(key), language) for key, language in captions)
    video = build_video_job(video_template, facts, settings.rungs, target, subtitles)
    outputs = tuple(keys.rendition(r.name_modifier) for r in video.renditions)
    plan = AssetPlan(keys, route, Action.TRANSCODE_VIDEO, outputs=outputs, renditions=video.renditions,
                     mediaconvert_job=video.request, thumbnail=keys.thumbnail, streams=_streams(keys, video.request),
                     notes=video.notes)
    if not settings.preview:
        return plan
    staging = public_uri(keys.staging_base(staging_token(keys, f"{upload_version or ''}\0preview")))
    return replace(plan, preview_job=build_preview_job(video.request, facts, staging),
                   preview=keys.rendition(PREVIEW_MODIFIER), preview_reason=browser_safe(facts))


def _streams(keys: AssetKeys, request: dict[str, Any]) -> dict[str, str] | None:
    """The stream's manifests, published beside the renditions (the CMAF group shares their destination)."""
    group = stream_group(request["Settings"])
    if group is None:
        return None
    cmaf = group["OutputGroupSettings"]["CmafGroupSettings"]
    streams = {"hls": keys.hls_master}
    if cmaf.get("WriteDashManifest", "ENABLED") == "ENABLED":
        streams["dash"] = keys.dash_manifest
    return streams
