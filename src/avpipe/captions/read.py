"""Read caption text of a known format into pycaption's model, one track per language.

Every exception pycaption (or the parsers beneath it) raises while reading becomes
a :class:`CaptionError` with one sentence that names the problem but quotes no
content from the file; the original stays chained as ``__cause__``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pycaption import Caption, CaptionSet, DFXPReader, SAMIReader, WebVTTReader
from pycaption.exceptions import (
    CaptionLineLengthError,
    CaptionReadNoCaptions,
    CaptionReadSyntaxError,
    CaptionReadTimingError,
)

from avpipe.captions.language import canonical_language
from avpipe.captions.model import CaptionFormat
from avpipe.captions.scc import CompleteSCCReader, with_header_first
from avpipe.captions.srt import SRT_LANGUAGE_KEY, read_srt
from avpipe.captions.ttml import TtmlDocument, prepare_ttml
from avpipe.errors import CaptionError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceTrack:
    """The captions of one language, with the CaptionSet they were read into.

    ``key`` is the language key of those captions in ``source`` (one of several
    when a DFXP file had several divs for the language); the source supplies the
    styles, regions and layout the WebVTT writer needs.
    """

    language: str | None
    captions: tuple[Caption, ...]
    source: CaptionSet
    key: str


def read_tracks(text: str, caption_format: CaptionFormat) -> tuple[SourceTrack, ...]:
    """The tracks of ``text``, one per language.

    DFXP tracks come in the order of their divs; SAMI tracks, whose order pycaption
    does not keep, sorted by language.
    """
    if caption_format is CaptionFormat.SRT:
        return _only_track(read_srt(text), SRT_LANGUAGE_KEY)
    if caption_format is CaptionFormat.DFXP:
        return _read_dfxp(text)
    with pycaption_errors(caption_format):
        if caption_format is CaptionFormat.WEBVTT:
            caption_set = WebVTTReader().read(text.lstrip())
        elif caption_format is CaptionFormat.SCC:
            caption_set = CompleteSCCReader().read(with_header_first(text))
        else:
            caption_set = SAMIReader().read(text)
    if caption_format is CaptionFormat.SAMI:
        tracks = _tracks_by_language(
            caption_set, lambda key: _sami_language(text, key), caption_format
        )
        return tuple(sorted(tracks, key=_language_order))
    return _only_track(caption_set, caption_set.get_languages()[0])


@contextmanager
def pycaption_errors(caption_format: CaptionFormat) -> Iterator[None]:
    """Turn whatever escapes pycaption into a CaptionError about ``caption_format``."""
    try:
        yield
    except CaptionError:
        raise
    except Exception as exc:
        logger.debug("pycaption could not handle a %s file: %r", caption_format.value, exc)
        raise CaptionError(_describe(caption_format, exc)) from exc


def _describe(caption_format: CaptionFormat, exc: Exception) -> str:
    name = caption_format.value
    if isinstance(exc, CaptionReadNoCaptions):
        return f"The {name} file contains no captions."
    if isinstance(exc, CaptionLineLengthError):
        return f"The {name} file has a caption line longer than 32 characters."
    if isinstance(exc, CaptionReadTimingError):
        return f"The {name} file has a cue with a missing or invalid time."
    if isinstance(exc, RecursionError):
        return f"The {name} file nests its markup too deeply to be read."
    if isinstance(exc, CaptionReadSyntaxError):
        return f"The {name} file is malformed."
    return f"The {name} file is malformed and could not be read."


def _only_track(caption_set: CaptionSet, key: str) -> tuple[SourceTrack, ...]:
    captions = tuple(caption_set.get_captions(key))
    return (SourceTrack(None, captions, caption_set, key),)


def _read_dfxp(text: str) -> tuple[SourceTrack, ...]:
    with pycaption_errors(CaptionFormat.DFXP):
        document = prepare_ttml(text)
        caption_set = DFXPReader().read(document.text)
    tracks = _tracks_by_language(
        caption_set, lambda key: _dfxp_language(document, key), CaptionFormat.DFXP
    )
    _check_dfxp_cue_count(document, tracks)
    return tracks


def _dfxp_language(document: TtmlDocument, key: str) -> str | None:
    if key in document.languages:
        return document.languages[key]
    return key if key in document.declared else document.default_language


def _check_dfxp_cue_count(document: TtmlDocument, tracks: tuple[SourceTrack, ...]) -> None:
    read = {track.language: len(track.captions) for track in tracks if track.captions}
    expected: dict[str | None, int] = {}
    for language, count in document.expected_cues.items():
        if count:
            canonical = canonical_language(language, CaptionFormat.DFXP.value)
            expected[canonical] = expected.get(canonical, 0) + count
    if read != expected:
        raise CaptionError(
            "The DFXP/TTML file could not be read exactly: it has "
            f"{sum(expected.values())} paragraphs with text, but reading it gave a cue count "
            f"of {sum(read.values())}."
        )


def _sami_language(text: str, key: str) -> str | None:
    """``key`` if the file declares it (``lang: en-US;`` or ``lang="en"``), else None."""
    declared = re.compile(r"\blang\s*[:=]\s*[\"']?" + re.escape(key), re.IGNORECASE)
    return key if declared.search(text) else None


def _language_order(track: SourceTrack) -> tuple[bool, str]:
    return track.language is None, track.language or ""


def _tracks_by_language(
    caption_set: CaptionSet,
    language_of: Callable[[str], str | None],
    caption_format: CaptionFormat,
) -> tuple[SourceTrack, ...]:
    """One track per language (canonical BCP 47); keys with the same language become one track."""
    tracks: dict[str | None, SourceTrack] = {}
    for key in caption_set.get_languages():
        language = canonical_language(language_of(key), caption_format.value)
        captions = tuple(caption_set.get_captions(key))
        earlier = tracks.get(language)
        if earlier is not None:
            captions = earlier.captions + captions
            key = earlier.key
        tracks[language] = SourceTrack(language, captions, caption_set, key)
    return tuple(tracks.values())

