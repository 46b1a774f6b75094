"""Write one source track as WebVTT and check that every cue came through.

pycaption's WebVTTWriter is used with ``relativize=False``: cue positions that are
already percentages are kept, absolute ones (SAMI margins in points, DFXP pixels)
are dropped rather than guessed against an invented video size. The writer may
split one caption into several cues with the same times (parts placed apart) and
drops captions that render to nothing, so the check is on times: every caption
with text must appear with its start and end (to the millisecond), and no cue may
appear at a time no caption has.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from pycaption import Caption, CaptionList, CaptionSet, WebVTTWriter

from avpipe.captions.model import CaptionFormat, VttTrack
from avpipe.captions.read import SourceTrack, pycaption_errors
from avpipe.errors import CaptionError

_ONE_DAY = timedelta(days=1)
_ONE_MILLISECOND = timedelta(milliseconds=1)
_TIMESTAMP = r"([0-9]{2,}):([0-9]{2}):([0-9]{2})\.([0-9]{3})"
_CUE_TIMING_RE = re.compile(f"^{_TIMESTAMP} --> {_TIMESTAMP}", re.MULTILINE)

Timing = tuple[int, int]


def write_webvtt(track: SourceTrack, caption_format: CaptionFormat) -> VttTrack:
    """The WebVTT document of ``track``; :class:`CaptionError` if cues would be lost."""
    captions = sorted(track.captions, key=lambda caption: caption.start)
    _check_times(captions, caption_format)
    caption_set = _single_track_set(track, captions)
    with pycaption_errors(caption_format):
        text = _without_blank_rows(WebVTTWriter(relativize=False).write(caption_set, lang=track.key))
    written = _written_timings(text)
    if text.count("-->") != len(written):
        raise CaptionError(
            f"The {caption_format.value} file could not be written as valid WebVTT."
        )
    _check_complete(captions, written, caption_format)
    return VttTrack(language=track.language, text=text, cue_count=len(written))


def check_cues_match(
    captions: list[Caption], written: list[Timing], caption_format: CaptionFormat
) -> None:
    """CaptionError unless ``written`` has every caption's times, and no others."""
    captions = sorted(captions, key=lambda caption: caption.start)
    _check_times(captions, caption_format)
    _check_complete(captions, written, caption_format)


def _single_track_set(track: SourceTrack, captions: list[Caption]) -> CaptionSet:
    source = track.source
    layout = getattr(source.get_captions(track.key), "layout_info", None)
    return CaptionSet(
        {track.key: CaptionList(captions, layout_info=layout)},
        styles=dict(source.get_styles()),
        layout_info=source.layout_info,
        regions=dict(source.get_regions()),
        visual_alignment_default=source.visual_alignment_default,
    )


def _without_blank_rows(text: str) -> str:
    """Drop the ``&nbsp;`` lines the writer puts for rows with nothing on them (SCC layouts).

    A blank row shows nothing; as a line of cue text it would show a space-wide box
    in players that paint cue backgrounds. A cue left with nothing is dropped.
    """
    blocks = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            blocks.append(block)
            continue
        body = [line for line in lines[timing + 1 :] if line.strip() != "&nbsp;"]
        if any(line.strip() for line in body) or not lines[timing + 1 :]:
            blocks.append("\n".join(lines[: timing + 1] + body))
    return "\n\n".join(blocks)


def _check_times(captions: list[Caption], caption_format: CaptionFormat) -> None:
    name = caption_format.value
    for caption in captions:
        start, end = _as_timedelta(caption.start), _as_timedelta(caption.end)
        if start < timedelta(0) or end < start:
            raise CaptionError(f"The {name} file has a cue that ends before it starts.")
        if end >= _ONE_DAY:
            raise CaptionError(
                f"The {name} file has a cue at or past 24 hours, which avpipe does not convert."
            )


def _check_complete(
    captions: list[Caption], written: list[Timing], caption_format: CaptionFormat
) -> None:
    known = {_timing(caption) for caption in captions}
    expected = Counter(_timing(caption) for caption in captions if caption.get_text().strip())
    missing = expected - Counter(written)
    unknown = [timing for timing in written if timing not in known]
    if missing or unknown:
        raise CaptionError(
            f"Converting the {caption_format.value} file to WebVTT would lose or move "
            f"{sum(missing.values()) + len(unknown)} of its {len(captions)} cues."
        )


def _timing(caption: Caption) -> Timing:
    return _milliseconds(caption.start), _milliseconds(caption.end)


def _milliseconds(microseconds: float) -> int:
    """Whole milliseconds, rounded the way the WebVTT writer rounds."""
    return _as_timedelta(microseconds) // _ONE_MILLISECOND


def _as_timedelta(microseconds: float) -> timedelta:
    try:
        return timedelta(microseconds=microseconds)
    except (OverflowError, ValueError) as exc:
        raise CaptionError("A cue time in the caption file is out of range.") from exc


def _written_timings(text: str) -> list[Timing]:
    timings = []
    for match in _CUE_TIMING_RE.finditer(text):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(group) for group in match.groups())
        start = ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1
        end = ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2
        timings.append((start, end))
    return timings
