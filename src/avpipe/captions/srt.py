"""An SRT reader into pycaption's CaptionSet.

pycaption's own SRTReader stops without a word at the first cue whose number is
missing (dropping the rest of the file), refuses "." as the millisecond separator
and keeps ``<i>``/``<b>``/``<u>`` as literal text, so viewers would see the tags.
This reader finds cues by their timing lines instead, treats a lone number right
before a timing line as that cue's number, and turns the three SRT style tags into
pycaption style nodes (``<font>`` tags and ``{\\anN}`` position codes are dropped,
their text kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pycaption import Caption, CaptionList, CaptionNode, CaptionSet
from pycaption.geometry import HorizontalAlignmentEnum

from avpipe.captions.detect import SRT_TIMING_RE
from avpipe.errors import CaptionError

#: The key the cues are stored under in the CaptionSet; SRT declares no language.
SRT_LANGUAGE_KEY = "und"

_CUE_NUMBER_RE = re.compile(r"^\s*[0-9]+\s*$")
_STYLE_TAG_RE = re.compile(r"<(/?)([ibu])>", re.IGNORECASE)
_DROPPED_MARKUP_RE = re.compile(r"</?font\b[^>]*>|\{\\an[1-9]\}", re.IGNORECASE)
_STYLE_NAMES = {"i": "italics", "b": "bold", "u": "underline"}


@dataclass(frozen=True)
class SrtCue:
    """One cue as written in the file: times in microseconds, text lines verbatim."""

    number: int
    start: int
    end: int
    lines: tuple[str, ...]


def read_srt(text: str) -> CaptionSet:
    """A CaptionSet holding every cue of an SRT text under :data:`SRT_LANGUAGE_KEY`."""
    cues = parse_srt(text)
    captions = CaptionList([_to_caption(cue) for cue in cues])
    return CaptionSet(
        {SRT_LANGUAGE_KEY: captions},
        visual_alignment_default=HorizontalAlignmentEnum.CENTER,
    )


def parse_srt(text: str) -> tuple[SrtCue, ...]:
    """Every cue with text in an SRT file, in file order."""
    lines = text.split("\n")
    timing_rows = _timing_rows(lines)
    if not timing_rows:
        raise CaptionError("The SRT file has no cue timings.")
    _check_preamble(lines[: timing_rows[0]])
    cues: list[SrtCue] = []
    for position, row in enumerate(timing_rows):
        stop = timing_rows[position + 1] if position + 1 < len(timing_rows) else len(lines)
        cue_lines = _cue_text(lines[row + 1 : stop], is_last=stop == len(lines))
        if cue_lines:
            start, end = _parse_timing(lines[row], row + 1)
            cues.append(SrtCue(len(cues) + 1, start, end, cue_lines))
    if not cues:
        raise CaptionError("The SRT file contains no captions.")
    return tuple(cues)


def _timing_rows(lines: list[str]) -> list[int]:
    """Indexes of the timing lines; a broken one is an error, not cue text."""
    rows = []
    for index, line in enumerate(lines):
        if "-->" not in line:
            continue
        if not SRT_TIMING_RE.match(line):
            raise CaptionError(f"The SRT file has a malformed cue timing on line {index + 1}.")
        rows.append(index)
    return rows


def _check_preamble(lines: list[str]) -> None:
    content = [line for line in lines if line.strip()]
    if len(content) > 1 or (content and not _CUE_NUMBER_RE.match(content[0])):
        raise CaptionError("The SRT file has text before its first cue.")


def _cue_text(lines: list[str], *, is_last: bool) -> tuple[str, ...]:
    """The text lines of a cue: blank lines and the next cue's number removed.

    A lone number right before the next timing line is that cue's number. At the
    end of the file, a lone number after a blank line is a number without a cue.
    """
    if not is_last and lines and _CUE_NUMBER_RE.match(lines[-1]):
        lines = lines[:-1]
    elif is_last:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        if len(lines) > 1 and _CUE_NUMBER_RE.match(lines[-1]) and not lines[-2].strip():
            lines = lines[:-1]
    return tuple(line.rstrip() for line in lines if line.strip())


def _parse_timing(line: str, line_number: int) -> tuple[int, int]:
    match = SRT_TIMING_RE.match(line)
    if match is None:  # pragma: no cover - _timing_rows only passes matching lines
        raise CaptionError(f"The SRT file has a malformed cue timing on line {line_number}.")
    start = _timestamp_to_microseconds(match.group("start"))
    end = _timestamp_to_microseconds(match.group("end"))
    if end < start:
        raise CaptionError(f"The SRT cue on line {line_number} ends before it starts.")
    return start, end


def _timestamp_to_microseconds(stamp: str) -> int:
    clock, _, fraction = stamp.replace(",", ".").partition(".")
    parts = [int(part) for part in clock.split(":")]
    if len(parts) == 2:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    milliseconds = int(fraction.ljust(3, "0")) if fraction else 0
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + milliseconds) * 1000


def _to_caption(cue: SrtCue) -> Caption:
    nodes: list[CaptionNode] = []
    open_styles: list[str] = []
    for index, line in enumerate(cue.lines):
        if index:
            nodes.append(CaptionNode.create_break())
        nodes.extend(_line_nodes(_DROPPED_MARKUP_RE.sub("", line), open_styles))
    for style in reversed(open_styles):
        nodes.append(CaptionNode.create_style(False, {style: True}))
    return Caption(cue.start, cue.end, nodes)


def _line_nodes(line: str, open_styles: list[str]) -> list[CaptionNode]:
    """Text and style nodes for one line; ``open_styles`` carries across lines."""
    nodes = []
    position = 0
    for match in _STYLE_TAG_RE.finditer(line):
        if match.start() > position:
            nodes.append(CaptionNode.create_text(line[position : match.start()]))
        position = match.end()
        style = _STYLE_NAMES[match.group(2).lower()]
        closing = bool(match.group(1))
        if closing and style in open_styles:
            open_styles.remove(style)
            nodes.append(CaptionNode.create_style(False, {style: True}))
        elif not closing and style not in open_styles:
            open_styles.append(style)
            nodes.append(CaptionNode.create_style(True, {style: True}))
    if position < len(line) or not nodes:
        nodes.append(CaptionNode.create_text(line[position:]))
    return nodes
