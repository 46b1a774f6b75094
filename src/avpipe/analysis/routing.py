"""Decide which pipeline a file takes, from its content (never its file name)."""

from __future__ import annotations

import enum

from avpipe.analysis.facts import MediaFacts

# General formats MediaInfo gives a stand-alone subtitle or caption file.
CAPTION_CONTAINERS = frozenset({"SubRip", "WebVTT", "TTML", "SCC", "SAMI", "EIA-608", "EIA-708", "ASS", "SSA"})


class Route(enum.StrEnum):
    """The pipeline a file goes through."""

    AUDIO = "audio"
    VIDEO = "video"
    CAPTION = "caption"
    UNSUPPORTED = "unsupported"


def route(facts: MediaFacts) -> Route:
    """Video if a real video track exists, audio if only audio (cover art counts as audio),
    caption for a stand-alone subtitle file, else unsupported."""
    if facts.video is not None:
        return Route.VIDEO
    if facts.audio:
        return Route.AUDIO
    if looks_like_captions(facts):
        return Route.CAPTION
    return Route.UNSUPPORTED


def looks_like_captions(facts: MediaFacts) -> bool:
    """Whether MediaInfo identified the file as a subtitle/caption file (no audio or video).

    Caption files MediaInfo cannot identify (it reports a bare General track without a
    format, as for SAMI) are left to the caption module's own sniffing.
    """
    if facts.video is not None or facts.audio:
        return False
    return bool(facts.text_formats) or facts.container in CAPTION_CONTAINERS


__all__ = ["CAPTION_CONTAINERS", "Route", "looks_like_captions", "route"]
