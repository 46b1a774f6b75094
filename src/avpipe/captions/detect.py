"""Tell which caption format a text is.

pycaption's readers each have a ``detect()``; they are strict about where a file
starts (an SCC header after a blank line, an SRT file without its first cue number
or a TTML file whose elements carry a namespace prefix all go unrecognised), so
each format also has a check of its own here. Formats whose signature is the first
line (WebVTT, SCC, SRT) are tried before the markup formats, whose root element may
sit anywhere in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pycaption import DFXPReader, SAMIReader, SCCReader, SRTReader, WebVTTReader

from avpipe.captions.model import CaptionFormat
from avpipe.captions.scc import SCC_HEADER, SCC_LINE_RE
from avpipe.errors import CaptionError

#: An SRT timing line; the fraction may use "," (the norm) or "." (a common slip).
SRT_TIMING_RE = re.compile(
    r"^\s*(?P<start>(?:[0-9]+:)?[0-9]{1,2}:[0-9]{1,2}(?:[,.][0-9]{1,3})?)"
    r"\s*-->\s*"
    r"(?P<end>(?:[0-9]+:)?[0-9]{1,2}:[0-9]{1,2}(?:[,.][0-9]{1,3})?)(?:\s.*)?$"
)
_CUE_NUMBER_RE = re.compile(r"^\s*[0-9]+\s*$")
_WEBVTT_RE = re.compile(r"^\s*WEBVTT(?:[ \t\n]|$)")
_TTML_OPEN_RE = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?tt[\s>/]")
_TTML_CLOSE_RE = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?tt\s*>")
_SAMI_OPEN_RE = re.compile(r"<sami[\s>]", re.IGNORECASE)


def detect_caption_format(text: str) -> CaptionFormat:
    """The format of decoded caption text, or :class:`CaptionError` if avpipe reads none."""
    if not text.strip():
        raise CaptionError("The caption file is empty.")
    for caption_format, looks_like in _LINE_FORMATS:
        if looks_like(text):
            return caption_format
    markup = _markup_format(text)
    if markup is not None:
        return markup
    raise CaptionError(
        "The file is not a caption format avpipe reads (SRT, WebVTT, SCC, DFXP/TTML, SAMI)."
    )


def first_lines(text: str, count: int) -> list[str]:
    """The first ``count`` lines of ``text`` that are not blank."""
    found: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            found.append(line)
            if len(found) == count:
                break
    return found


def _is_webvtt(text: str) -> bool:
    return bool(WebVTTReader().detect(text)) or bool(_WEBVTT_RE.match(text))


def _is_scc(text: str) -> bool:
    lines = first_lines(text, 1)
    first = lines[0].strip()
    return bool(SCCReader().detect(text)) or first == SCC_HEADER or bool(SCC_LINE_RE.match(first))


def _is_srt(text: str) -> bool:
    if SRTReader().detect(text):
        return True
    lines = first_lines(text, 2)
    if SRT_TIMING_RE.match(lines[0]):
        return True
    return (
        len(lines) == 2
        and bool(_CUE_NUMBER_RE.match(lines[0]))
        and bool(SRT_TIMING_RE.match(lines[1]))
    )


_LINE_FORMATS: tuple[tuple[CaptionFormat, Callable[[str], bool]], ...] = (
    (CaptionFormat.WEBVTT, _is_webvtt),
    (CaptionFormat.SCC, _is_scc),
    (CaptionFormat.SRT, _is_srt),
)


def _markup_format(text: str) -> CaptionFormat | None:
    """DFXP or SAMI, whichever root element comes first; None if neither."""
    ttml = _TTML_OPEN_RE.search(text)
    is_ttml = bool(DFXPReader().detect(text)) or (
        ttml is not None and _TTML_CLOSE_RE.search(text) is not None
    )
    sami = _SAMI_OPEN_RE.search(text)
    is_sami = bool(SAMIReader().detect(text))
    if is_ttml and is_sami:
        ttml_at = ttml.start() if ttml else 0
        sami_at = sami.start() if sami else 0
        return CaptionFormat.DFXP if ttml_at < sami_at else CaptionFormat.SAMI
    if is_ttml:
        return CaptionFormat.DFXP
    if is_sami:
        return CaptionFormat.SAMI
    return None
