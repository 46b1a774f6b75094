"""Caption CPU bombs and language tags that would become file names (issue 10, items 10 and 13).

Each test builds the hostile file itself and performs the attack.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
import webvtt

from avpipe.captions import convert_isolated, convert_to_webvtt
from avpipe.captions.nesting import MAX_MARKUP_DEPTH
from avpipe.errors import CaptionError

pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated method:DeprecationWarning:pycaption.*"
)

NESTING_REFUSED = "nests its markup more than 100 levels deep, which avpipe refuses."


def nested_dfxp(depth: int, tag: str = "span") -> bytes:
    return (
        '<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en"><body><div>'
        '<p begin="00:00:01.000" end="00:00:02.000">'
        + f"<{tag}>" * depth + "deep" + f"</{tag}>" * depth
        + "</p></div></body></tt>"
    ).encode()


def sami(cues: int) -> bytes:
    """SAMI as authoring tools write it: SYNC and P never closed."""
    body = "".join(f"<SYNC Start={i * 10}><P Class=ENCC>w{i}\n" for i in range(cues))
    return (
        '<SAMI><HEAD><STYLE TYPE="text/css"><!-- .ENCC {lang: en-US;} --></STYLE></HEAD>'
        f"<BODY>{body}</BODY></SAMI>"
    ).encode()


def test_deeply_nested_dfxp_is_refused_quickly_in_little_memory() -> None:
    data = nested_dfxp(200_000)  # 2.6 MB; pycaption alone works on it for minutes
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CaptionError) as caught:
            convert_to_webvtt(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert str(caught.value) == f"The DFXP/TTML file {NESTING_REFUSED}"
    assert elapsed < 2.0
    assert peak < 20_000_000  # the decoded text itself is ~5 MB in memory


def test_nesting_hidden_behind_comments_is_still_counted() -> None:
    # A tokenizer that took "</span>" inside comments as end tags would see depth 1.
    data = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="1s" end="2s">'
        + "<span><!-- </span> -->" * 5000 + "x" + "</span>" * 5000 + "</p></div></body></tt>"
    ).encode()

    with pytest.raises(CaptionError, match=NESTING_REFUSED):
        convert_to_webvtt(data)


def test_sami_nested_with_distinct_tags_is_refused() -> None:
    # pycaption's SAMI parser closes same-name tags, so depth needs distinct names.
    opening = "".join(f"<t{i}>" for i in range(20_000))
    data = f'<SAMI><BODY><SYNC Start="1000"><P>{opening}x</P></SYNC></BODY></SAMI>'.encode()

    with pytest.raises(CaptionError, match=f"The SAMI file {NESTING_REFUSED}"):
        convert_to_webvtt(data)


def test_nesting_up_to_the_limit_and_unclosed_sami_tags_convert() -> None:
    track = convert_to_webvtt(nested_dfxp(MAX_MARKUP_DEPTH - 6)).tracks[0]
    assert [c.text for c in webvtt.from_string(track.text).captions] == ["deep"]
    assert convert_to_webvtt(sami(300)).tracks[0].cue_count == 300


def test_a_slow_sami_file_is_stopped_at_the_time_limit() -> None:
    data = sami(120_000)  # 4.8 MB; pycaption alone takes minutes
    assert len(data) < 5 * 1024 * 1024

    started = time.perf_counter()
    with pytest.raises(CaptionError) as caught:
        convert_isolated(data, timeout_s=2)
    elapsed = time.perf_counter() - started

    assert str(caught.value) == (
        "The caption file took longer than 2 s to convert, which avpipe does not allow."
    )
    assert caught.value.category == "bad_input"
    assert elapsed < 10


def test_the_child_process_gives_what_the_conversion_gives() -> None:
    data = sami(50)
    assert convert_isolated(data) == convert_to_webvtt(data)
    with pytest.raises(CaptionError, match="^The caption file is empty.$"):
        convert_isolated(b"  \n")


@pytest.mark.parametrize(
    "language", ["fr/../../json/talk", "en/x", "..", "en us", "fr.vtt", "xx-nowhere-123456789"]
)
def test_language_codes_that_are_not_bcp47_tags_are_refused(language: str) -> None:
    data = (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<div xml:lang="en"><p begin="1s" end="2s">hello</p></div>'
        f'<div xml:lang="{language}"><p begin="1s" end="2s">bonjour</p></div>'
        "</body></tt>"
    ).encode()

    with pytest.raises(CaptionError) as caught:
        convert_to_webvtt(data)

    assert str(caught.value) == (
        "The DFXP/TTML file declares a language that is not a valid BCP 47 language tag."
    )


def test_language_tags_are_canonical_and_case_variants_are_one_track() -> None:
    data = (
        b'<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        b'<div xml:lang="EN-us"><p begin="1s" end="2s">one</p></div>'
        b'<div xml:lang="en-US"><p begin="3s" end="4s">two</p></div>'
        b'<div xml:lang="und"><p begin="1s" end="2s">?</p></div>'
        b"</body></tt>"
    )

    conversion = convert_to_webvtt(data)

    assert [(t.language, t.cue_count) for t in conversion.tracks] == [("en-US", 2), (None, 1)]
