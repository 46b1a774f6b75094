"""WebVTT uploads keep their cues, voices, styles and regions (issue 11, items 5 and 6).

Checked with webvtt-py, independently of avpipe's parser and of pycaption.
"""

from __future__ import annotations

import pycaption
import pytest
import webvtt

from avpipe.captions import convert_to_webvtt
from avpipe.errors import CaptionError

STYLED = """\ufeffWEBVTT - a talk
Kind: captions

NOTE made by hand

STYLE
::cue(v[voice="Fred"]) { color: yellow; }
::cue(.loud) { font-weight: bold; }

REGION
id:fred
width:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90% scroll:up

intro
00:01.000 --> 00:02.000 region:fred align:start position:10%
<v Fred>Hi there

00:00:02.000 --> 00:00:03.500   line:0
<v.loud Mary>Hello <c.yellow>you</c> &amp; <ruby>漢<rt>kan</rt></ruby>
"""


def convert(text: str) -> str:
    (track,) = convert_to_webvtt(text.encode()).tracks
    return track.text


def test_a_cue_line_without_a_blank_line_before_it_starts_a_new_cue() -> None:
    youtube = (
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:01.000 --> 00:00:02.000 align:start position:0%\nfirst line\n"
        "00:00:02.000 --> 00:00:03.000 align:start position:0%\nsecond line\n"
        "00:00:03.000 --> 00:00:04.000\nthird\n"
    )
    alone = pycaption.WebVTTReader().read(youtube)
    assert len(alone.get_captions(alone.get_languages()[0])) < 3  # pycaption glues them

    cues = webvtt.from_string(convert(youtube), strict=True).captions

    assert [(c.start, c.end, c.text) for c in cues] == [
        ("00:00:01.000", "00:00:02.000", "first line"),
        ("00:00:02.000", "00:00:03.000", "second line"),
        ("00:00:03.000", "00:00:04.000", "third"),
    ]


def test_voices_styles_and_regions_are_kept() -> None:
    text = convert(STYLED)

    document = webvtt.from_string(text, strict=True)
    assert [(c.identifier, c.start, c.end, c.voice) for c in document.captions] == [
        ("intro", "00:00:01.000", "00:00:02.000", "Fred"),
        (None, "00:00:02.000", "00:00:03.500", "Mary"),
    ]
    assert [c.raw_text for c in document.captions] == [
        "<v Fred>Hi there",
        "<v.loud Mary>Hello <c.yellow>you</c> &amp; <ruby>漢<rt>kan</rt></ruby>",
    ]
    assert [s.text for s in document.styles] == [
        '::cue(v[voice="Fred"]) { color: yellow; }\n::cue(.loud) { font-weight: bold; }'
    ]
    assert "REGION\nid:fred\nwidth:40% lines:3 regionanchor:0%,100% viewportanchor:10%,90% scroll:up\n" in text
    assert "00:00:01.000 --> 00:00:02.000 region:fred align:start position:10%\n" in text
    assert "00:00:02.000 --> 00:00:03.500 line:0\n" in text
    assert "Fred:" not in text and "NOTE" not in text


def test_a_valid_webvtt_file_comes_out_as_it_went_in() -> None:
    once = convert(STYLED)
    assert convert(once) == once
    assert once.startswith("WEBVTT\n\nSTYLE\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nhi\n",
         "The WebVTT file has a block on line 3 that is neither a cue, a note, nor a style or "
         "region before the first cue."),
        ("WEBVTT\n\n00:01.000 --> 00:0x.000\nhi\n",
         "The WebVTT file has a malformed cue timing on line 3."),
        ("WEBVTT\n\nSTYLE\n@import url(https://example.invalid/x.css);\n\n00:01.000 --> 00:02.000\nhi\n",
         "The WebVTT file's STYLE block contains an at-rule, url() or escape, which avpipe refuses."),
        ("WEBVTT\n\nSTYLE\n::cue { background: url(https://example.invalid/p.png) }\n\n"
         "00:01.000 --> 00:02.000\nhi\n",
         "The WebVTT file's STYLE block contains an at-rule, url() or escape, which avpipe refuses."),
    ],
)
def test_broken_or_fetching_webvtt_is_refused_with_one_sentence(text: str, message: str) -> None:
    with pytest.raises(CaptionError) as caught:
        convert_to_webvtt(text.encode())
    assert str(caught.value) == message
