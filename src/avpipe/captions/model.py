"""The data the caption package hands out: formats, WebVTT tracks, a conversion."""

from __future__ import annotations

import enum
from dataclasses import dataclass

#: Caption files larger than this are refused before any parsing (5 MiB). A feature
#: film's captions take 100-500 kB in any format; pycaption's SAMI and DFXP readers
#: grow worse than linearly, and at 5 MB a conversion takes up to half a minute.
DEFAULT_MAX_CAPTION_BYTES = 5 * 1024 * 1024
#: How long the conversion of one caption file may take (seconds) before it is refused.
#: A legitimate 5 MB file converts in well under this; a hostile one is stopped here.
DEFAULT_CAPTION_TIMEOUT_S = 60.0


class CaptionFormat(enum.Enum):
    """A caption format avpipe reads; the value is the name shown to users."""

    SRT = "SRT"
    WEBVTT = "WebVTT"
    SCC = "SCC"
    DFXP = "DFXP/TTML"
    SAMI = "SAMI"


@dataclass(frozen=True)
class VttTrack:
    """One language of a caption file, as a complete WebVTT document.

    ``language`` is the BCP 47 tag the source file declares for these captions, in
    canonical form (``"en-US"``, ``"fr"``; see :mod:`avpipe.captions.language`); it
    is ``None`` when the file declares none (or ``und``), which is always the case
    for SRT, WebVTT and SCC. The manifest records ``None`` as ``"und"``.
    """

    language: str | None
    text: str
    cue_count: int


@dataclass(frozen=True)
class CaptionConversion:
    """The result of converting a caption file: its format and one track per language."""

    format: CaptionFormat
    tracks: tuple[VttTrack, ...]
