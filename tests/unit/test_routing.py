"""Routing decisions on hand-built facts (no files, no MediaInfo)."""

from __future__ import annotations

import pytest

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.routing import Route, looks_like_captions, route

AAC = AudioTrack(codec="AAC", channels=2, sample_rate=48000)
MP3 = AudioTrack(codec="MPEG Audio", channels=2, sample_rate=44100, codec_profile="Layer 3")
AVC = VideoTrack(codec="AVC", width=1280, height=720, frame_rate=30.0)


def test_route_values_are_the_strings_written_to_manifests() -> None:
    assert [r.value for r in Route] == ["audio", "video", "caption", "unsupported"]
    assert Route("caption") is Route.CAPTION
    assert f"{Route.VIDEO}" == "video"


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (MediaFacts("MPEG-4", video=AVC, audio=(AAC,), video_track_count=1), Route.VIDEO),
        (MediaFacts("MPEG-4", video=AVC, video_track_count=1), Route.VIDEO),
        (MediaFacts("MPEG-4", video=AVC, text_formats=("Timed Text",), video_track_count=1), Route.VIDEO),
        (MediaFacts("MPEG Audio", audio=(MP3,)), Route.AUDIO),
        (MediaFacts("MPEG Audio", audio=(MP3,), has_cover_art=True), Route.AUDIO),
        (MediaFacts("MPEG-4", audio=(AAC,), has_cover_art=True), Route.AUDIO),
        (MediaFacts("Matroska", audio=(AAC, AAC), text_formats=("UTF-8",)), Route.AUDIO),
        (MediaFacts("SubRip", text_formats=("SubRip",)), Route.CAPTION),
        (MediaFacts("WebVTT", text_formats=("WebVTT",)), Route.CAPTION),
        (MediaFacts("TTML", text_formats=("TTML",)), Route.CAPTION),
        (MediaFacts("SCC", text_formats=("EIA-608",)), Route.CAPTION),
        (MediaFacts("SAMI"), Route.CAPTION),
        (MediaFacts(None, size_bytes=287), Route.UNSUPPORTED),
        (MediaFacts(None, size_bytes=65536), Route.UNSUPPORTED),
        (MediaFacts("MPEG-4", size_bytes=300_000), Route.UNSUPPORTED),
        (MediaFacts("JPEG"), Route.UNSUPPORTED),
    ],
    ids=lambda v: v.container if isinstance(v, MediaFacts) else None,
)
def test_route(facts: MediaFacts, expected: Route) -> None:
    assert route(facts) is expected


def test_cover_art_without_audio_is_not_audio() -> None:
    assert route(MediaFacts("MPEG-4", has_cover_art=True)) is Route.UNSUPPORTED


def test_video_wins_over_a_caption_looking_container() -> None:
    facts = MediaFacts("SubRip", video=AVC, text_formats=("SubRip",), video_track_count=1)
    assert route(facts) is Route.VIDEO
    assert not looks_like_captions(facts)


def test_captions_need_no_audio_or_video() -> None:
    assert looks_like_captions(MediaFacts("SubRip", text_formats=("SubRip",)))
    assert not looks_like_captions(MediaFacts("Matroska", audio=(AAC,), text_formats=("SubRip",)))
    assert not looks_like_captions(MediaFacts(None))

