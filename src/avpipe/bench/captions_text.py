"""Long caption files for the conversion benchmark: ``cues`` cues, 2 s apart, in each format."""

from __future__ import annotations

from collections.abc import Callable

WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "rain", "falls")


def line(index: int) -> str:
    """Cue text: a few words that change from cue to cue (at most 32 characters, for SCC)."""
    words = [WORDS[(index + k * 5) % len(WORDS)] for k in range(4)]
    return f"{index} {' '.join(words)}"[:32]


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _span(index: int) -> tuple[int, int]:
    start = 1000 + index * 2000
    return start, start + 1500


def srt(cues: int) -> str:
    blocks = []
    for i in range(cues):
        start, end = _span(i)
        blocks.append(f"{i + 1}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{line(i)}\n")
    return "\n".join(blocks)


def webvtt(cues: int) -> str:
    blocks = ["WEBVTT\n"]
    for i in range(cues):
        start, end = _span(i)
        blocks.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n{line(i)}\n")
    return "\n".join(blocks)


def dfxp(cues: int) -> str:
    body = []
    for i in range(cues):
        start, end = _span(i)
        body.append(f'<p begin="{_clock(start, ".")}" end="{_clock(end, ".")}">{line(i)}</p>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<tt xml:lang="en" xmlns="http://www.w3.org/ns/ttml">'
            "<body><div>\n" + "\n".join(body) + "\n</div></body></tt>\n")


def sami(cues: int) -> str:
    body = []
    for i in range(cues):
        start, end = _span(i)
        body.append(f'<SYNC Start="{start}"><P Class="ENUSCC">{line(i)}</P></SYNC>')
        body.append(f'<SYNC Start="{end}"><P Class="ENUSCC">&nbsp;</P></SYNC>')
    head = ('<SAMI><HEAD><TITLE>captions</TITLE>\n<STYLE TYPE="text/css"><!--\nP { font-size: 24pt; }\n'
            ".ENUSCC { Name: English; lang: en-US; }\n--></STYLE></HEAD><BODY>\n")
    return head + "\n".join(body) + "\n</BODY></SAMI>\n"


def _odd_parity(byte: int) -> int:
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def _scc_text(text: str) -> str:
    codes = [_odd_parity(ord(c)) for c in text]
    if len(codes) % 2:
        codes.append(0x80)
    return " ".join(f"{codes[k]:02x}{codes[k + 1]:02x}" for k in range(0, len(codes), 2))


def scc(cues: int) -> str:
    """CEA-608 pop-on captions: load into the back buffer, swap at the start, erase at the end."""
    rows = ["Scenarist_SCC V1.0", ""]
    for i in range(cues):
        start, end = _span(i)
        load = f"9420 9420 94ae 94ae 9452 9452 97a1 97a1 {_scc_text(line(i))} 942c 942c 942f 942f"
        rows += [f"{_timecode(start)}\t{load}", "", f"{_timecode(end)}\t942c 942c", ""]
    return "\n".join(rows)


def _timecode(ms: int) -> str:
    """Non-drop-frame SCC time code at 30 frames per second."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{millis * 30 // 1000:02d}"


FORMATS: dict[str, tuple[str, Callable[[int], str]]] = {
    "SRT": ("srt", srt),
    "WebVTT": ("vtt", webvtt),
    "SCC": ("scc", scc),
    "DFXP": ("dfxp", dfxp),
    "SAMI": ("smi", sami),
}
