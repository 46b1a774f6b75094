"""SCC as real files are (issue 11, item 8): no header, CEA-608 block characters, blank rows."""

from __future__ import annotations

import pycaption
import pytest
import webvtt

from avpipe.captions import CaptionFormat, convert_to_webvtt, detect_caption_format

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HEADER = "Scenarist_SCC V1.0\n\n"


def scc(words: str) -> str:
    """One pop-on caption at 1 s (loaded with ``words``), cleared at 4 s."""
    return f"00:00:01:00\t9420 9420 94ae 94ae {words} 942f 942f\n\n00:00:04:00\t942c 942c\n"


def cues(text: str) -> list[tuple[str, str, str]]:
    (track,) = convert_to_webvtt(text.encode()).tracks
    return [(c.start, c.end, c.text) for c in webvtt.from_string(track.text, strict=True).captions]


def test_scc_without_its_header_is_read_like_the_same_file_with_it() -> None:
    body = scc("9470 9470 c8e5 ecec ef80") + "\n" + scc("9470 9470 57e5 ece3 ef6d e580").replace(
        "00:00:01:00", "00:00:05:00").replace("00:00:04:00", "00:00:07:00")
    assert detect_caption_format(body) is CaptionFormat.SCC

    with_header = pycaption.SCCReader().read(HEADER + body)
    expected = [(c.format_start(), c.format_end(), c.get_text())
                for c in with_header.get_captions(with_header.get_languages()[0])]

    assert cues(body) == expected
    assert [text for _, _, text in expected] == ["Hello", "Welcome"]


def test_solid_block_characters_are_kept() -> None:
    # 0x7F is CEA-608's solid block; a caption made only of them used to vanish.
    assert cues(HEADER + scc("9470 9470 7f7f 7f7f")) == [("00:00:01.267", "00:00:04.004", "████")]
    assert cues(scc("9470 9470 c8e9 7f80"))[0][2] == "Hi█"


def test_blank_rows_do_not_become_nbsp_lines() -> None:
    # rows 13, 14 (spaces only) and 15
    text = HEADER + scc("1370 1370 c8e5 ecec ef80 94d0 94d0 2080 9470 9470 57e5 ece3 ef6d e580")

    ((_, _, cue_text),) = cues(text)

    assert cue_text == "Hello\nWelcome"
    (track,) = convert_to_webvtt(text.encode()).tracks
    assert "&nbsp;" not in track.text
