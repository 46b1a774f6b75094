"""Convert a caption file of any format avpipe reads into WebVTT tracks."""

from __future__ import annotations

import logging

from avpipe.captions.decode import decode_caption_bytes
from avpipe.captions.detect import detect_caption_format
from avpipe.captions.model import (
    DEFAULT_MAX_CAPTION_BYTES,
    CaptionConversion,
    CaptionFormat,
    VttTrack,
)
from avpipe.captions.nesting import reject_deep_nesting
from avpipe.captions.read import read_tracks
from avpipe.captions.safety import reject_unsafe_markup
from avpipe.captions.vtt import parse_webvtt, write_webvtt_document
from avpipe.captions.write import check_cues_match, write_webvtt
from avpipe.errors import CaptionError

logger = logging.getLogger(__name__)


def convert_to_webvtt(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_CAPTION_BYTES
) -> CaptionConversion:
    """Convert the bytes of an SRT, WebVTT, SCC, DFXP/TTML or SAMI file to WebVTT.

    Returns the detected format and one WebVTT track per language in the file, each
    with every cue of that language. Raises :class:`~avpipe.errors.CaptionError`,
    and nothing else, for any input that cannot be converted completely: too large,
    empty, binary, an unknown format, malformed, unsafe markup, or no cues.
    """
    text = decode_caption_bytes(data, max_bytes=max_bytes)
    caption_format = detect_caption_format(text)
    reject_unsafe_markup(text, caption_format)
    reject_deep_nesting(text, caption_format)
    if caption_format is CaptionFormat.WEBVTT:
        tracks: tuple[VttTrack, ...] = (_normalised_webvtt(text),)
    else:
        sources = read_tracks(text, caption_format)
        tracks = tuple(
            track
            for track in (write_webvtt(source, caption_format) for source in sources)
            if track.cue_count
        )
    if not tracks:
        raise CaptionError(f"The {caption_format.value} file contains no captions.")
    logger.info(
        "converted a %s caption file to %d WebVTT track(s) with %s cues",
        caption_format.value,
        len(tracks),
        "/".join(str(track.cue_count) for track in tracks),
    )
    return CaptionConversion(format=caption_format, tracks=tracks)


def _normalised_webvtt(text: str) -> VttTrack:
    """A WebVTT upload as it was written (voices, styles, regions), normalised; see vtt.py."""
    document = parse_webvtt(text)
    if not document.cues:
        raise CaptionError("The WebVTT file contains no captions.")
    normalised = write_webvtt_document(document)
    (source,) = read_tracks(normalised, CaptionFormat.WEBVTT)  # pycaption's independent reading
    timings = [(cue.start_ms, cue.end_ms) for cue in document.cues]
    check_cues_match(list(source.captions), timings, CaptionFormat.WEBVTT)
    return VttTrack(language=None, text=normalised, cue_count=len(document.cues))
