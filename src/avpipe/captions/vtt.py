"""WebVTT in, the same WebVTT out: parsed as the W3C spec parses it, then written cleanly.

A WebVTT upload is not rebuilt from pycaption's model, which turns voice spans
(``<v Fred>``) into text and drops ``STYLE`` and ``REGION`` blocks. Its blocks are
collected as the spec's parser collects them -- in particular a line containing
``-->`` ends the cue before it and starts a new one, blank line or not (YouTube's
files rely on this) -- and written back normalised: ``WEBVTT`` header, one blank line
between blocks, timestamps as ``HH:MM:SS.mmm``, only valid cue settings, comments
(``NOTE``) dropped. Cue text, identifiers, styles and regions are kept as written.
The result is then read by pycaption as an independent check that every cue is
there with its times.

``STYLE`` blocks may not hold at-rules (``@import``) or ``url(...)``: a caption
file has no business making viewers' browsers fetch anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from avpipe.errors import CaptionError

_TIMESTAMP = r"(?:([0-9]{2,}):)?([0-5][0-9]):([0-5][0-9])\.([0-9]{3})"
_TIMING_RE = re.compile(rf"^{_TIMESTAMP}[ \t]*-->[ \t]*{_TIMESTAMP}(.*)$")
_SETTING_RE = re.compile(r"^(vertical|line|position|size|align|region):(\S+)$")
_SIGNATURE_RE = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_STYLE_FORBIDDEN_RE = re.compile(r"@|url\s*\(|\\", re.IGNORECASE)


@dataclass(frozen=True)
class VttCue:
    identifier: str | None
    start_ms: int
    end_ms: int
    settings: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class VttDocument:
    styles: tuple[str, ...]  # each block's CSS lines, joined by "\n"
    regions: tuple[str, ...]  # each REGION block's settings lines, joined by "\n"
    cues: tuple[VttCue, ...]


def parse_webvtt(text: str) -> VttDocument:
    """The styles, regions and cues with text of a WebVTT text (``\\n`` line endings)."""
    lines = text.lstrip("\n \t").split("\n")
    if not _SIGNATURE_RE.match(lines[0].rstrip()):
        raise CaptionError("The WebVTT file does not start with the WEBVTT signature.")
    index = 1
    while index < len(lines) and lines[index].strip() and "-->" not in lines[index]:
        index += 1  # header lines after the signature carry nothing for players
    styles: list[str] = []
    regions: list[str] = []
    cues: list[VttCue] = []
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block, index = _collect_block(lines, index)
        _add_block(block, styles, regions, cues)
    return VttDocument(tuple(styles), tuple(regions), tuple(cues))


def write_webvtt_document(document: VttDocument) -> str:
    """The normalised text of ``document``."""
    blocks = ["WEBVTT"]
    blocks += [f"STYLE\n{style}" for style in document.styles]
    blocks += [f"REGION\n{region}" for region in document.regions]
    for cue in document.cues:
        timing = f"{_format(cue.start_ms)} --> {_format(cue.end_ms)}{cue.settings}"
        head = f"{cue.identifier}\n" if cue.identifier else ""
        blocks.append(head + timing + "\n" + "\n".join(cue.lines))
    return "\n\n".join(blocks) + "\n"


@dataclass(frozen=True)
class _Block:
    first_line: int  # 1-based, for messages
    lines: tuple[str, ...]
    timing_at: int | None  # index in lines of the timing line


def _collect_block(lines: list[str], index: int) -> tuple[_Block, int]:
    """One block from ``index``; as in the spec, a second ``-->`` line starts the next block."""
    start = index
    collected: list[str] = []
    timing_at: int | None = None
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        if "-->" in line:
            if timing_at is None and len(collected) <= 1:
                timing_at = len(collected)
            else:
                break
        collected.append(line)
        index += 1
    return _Block(start + 1, tuple(collected), timing_at), index


def _add_block(block: _Block, styles: list[str], regions: list[str], cues: list[VttCue]) -> None:
    first = block.lines[0].strip()
    if block.timing_at is not None:
        cue = _cue(block)
        if cue is not None:
            cues.append(cue)
    elif first == "NOTE" or block.lines[0].startswith(("NOTE ", "NOTE\t")):
        return
    elif first == "STYLE" and not cues:
        styles.append(_style(block))
    elif first == "REGION" and not cues:
        regions.append("\n".join(line.strip() for line in block.lines[1:] if line.strip()))
    else:
        raise CaptionError(
            f"The WebVTT file has a block on line {block.first_line} that is neither a cue, "
            "a note, nor a style or region before the first cue."
        )


def _cue(block: _Block) -> VttCue | None:
    assert block.timing_at is not None
    line_number = block.first_line + block.timing_at
    match = _TIMING_RE.match(block.lines[block.timing_at].strip())
    if match is None:
        raise CaptionError(f"The WebVTT file has a malformed cue timing on line {line_number}.")
    start, end = _ms(match.groups()[0:4]), _ms(match.groups()[4:8])
    if end < start:
        raise CaptionError(f"The WebVTT cue on line {line_number} ends before it starts.")
    lines = tuple(line.rstrip() for line in block.lines[block.timing_at + 1 :])
    if not "".join(lines).strip():
        return None
    identifier = block.lines[0].strip() if block.timing_at == 1 else None
    return VttCue(identifier, start, end, _settings(match.group(9)), lines)


def _settings(text: str) -> str:
    kept = [token for token in text.split() if _SETTING_RE.match(token)]
    return "".join(f" {token}" for token in kept)


def _style(block: _Block) -> str:
    css = "\n".join(line.rstrip() for line in block.lines[1:])
    if _STYLE_FORBIDDEN_RE.search(css):
        raise CaptionError(
            "The WebVTT file's STYLE block contains an at-rule, url() or escape, which avpipe refuses."
        )
    return css


def _ms(parts: tuple[str | None, ...]) -> int:
    hours, minutes, seconds, millis = (int(part) if part else 0 for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _format(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
