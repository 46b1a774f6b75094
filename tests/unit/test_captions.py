"""Caption conversion on hand-written sample files, checked with webvtt-py."""

from __future__ import annotations

import contextlib
import html
import http.server
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pycaption
import pytest
import webvtt
from pycaption.exceptions import CaptionReadError

from avpipe.captions import (
    CaptionConversion,
    CaptionFormat,
    VttTrack,
    convert_to_webvtt,
    decode_caption_bytes,
    detect_caption_format,
)
from avpipe.errors import BadInputError, CaptionError

# bs4 4.13+ deprecates findChild/findChildren, which pycaption's DFXP reader still calls.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated method:DeprecationWarning:pycaption.*"
)

DATA = Path(__file__).resolve().parent.parent / "data" / "captions"

Cue = tuple[str, str, str]

SRT_CUES: list[Cue] = [
    ("00:00:01.000", "00:00:03.500", "Welcome to the harbour tour."),
    ("00:00:04.000", "00:00:07.250", "The café opens at nine,\nand closes à minuit."),
    ("00:00:08.100", "00:00:10.000", "Fish & chips cost < £5 > never 😀"),
    ("00:01:02.345", "00:01:05.006", 'Señor Müller says: "Ça va?"'),
]
VTT_CUES: list[Cue] = [
    ("00:00:00.500", "00:00:02.000", "Good morning, Zürich!"),
    ("00:00:02.500", "00:00:05.125", "Tom & Jerry say hello\nsecond line <3"),
    ("00:00:06.000", "00:00:08.000", "Crème brûlée 🍮"),
]
DFXP_CUES: list[Cue] = [
    ("00:00:01.000", "00:00:02.500", "Hello & welcome."),
    ("00:00:03.000", "00:00:05.750", "The naïve café\nserves crème brûlée."),
    ("00:00:06.200", "00:00:07.500", "Less < more > all"),  # begin="6.2s" dur="1.3s"
]
# SCC time codes count frames at 29.97 fps (30 frame numbers per 1.001 s), and a
# pop-on caption shows at its End Of Caption code: in the 01:00 line that is word 24,
# so 54 frames = 1.8018 s; in the 04:00 line word 13, so 133 frames = 4.4378 s. The
# 07:00 line clears the screen at 210 frames = 7.007 s.
SCC_CUES: list[Cue] = [
    ("00:00:01.801", "00:00:04.437", "Hello, harbour!\nWelcome aboard."),
    ("00:00:04.437", "00:00:07.007", "Mind the step."),
]


def read_sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def cues_of(track: VttTrack) -> list[Cue]:
    """The cues of a track as webvtt-py parses them, tags removed and entities decoded."""
    document = webvtt.from_string(track.text, strict=True)
    return [(cue.start, cue.end, html.unescape(cue.text)) for cue in document.captions]


def only_track(conversion: CaptionConversion) -> VttTrack:
    assert len(conversion.tracks) == 1
    return conversion.tracks[0]


@pytest.mark.parametrize(
    ("name", "caption_format", "language", "expected"),
    [
        ("sample.srt", CaptionFormat.SRT, None, SRT_CUES),
        ("sample.vtt", CaptionFormat.WEBVTT, None, VTT_CUES),
        ("sample.dfxp", CaptionFormat.DFXP, "en-US", DFXP_CUES),
        ("sample.scc", CaptionFormat.SCC, None, SCC_CUES),
    ],
)
def test_each_format_converts_with_every_cue(
    name: str, caption_format: CaptionFormat, language: str | None, expected: list[Cue]
) -> None:
    conversion = convert_to_webvtt(read_sample(name))

    track = only_track(conversion)
    assert conversion.format is caption_format
    assert track.language == language
    assert track.text.startswith("WEBVTT\n")
    assert track.cue_count == len(expected)
    assert cues_of(track) == expected


def test_scc_times_match_what_pycaption_reads() -> None:
    source = pycaption.SCCReader().read(read_sample("sample.scc").decode("ascii"))
    captions = source.get_captions(source.get_languages()[0])

    track = only_track(convert_to_webvtt(read_sample("sample.scc")))

    assert [(start, end) for start, end, _ in cues_of(track)] == [
        (caption.format_start(), caption.format_end()) for caption in captions
    ]


def test_webvtt_with_a_repeated_cue_identifier_converts_with_a_warning() -> None:
    vtt = (
        b"WEBVTT\n\nintro\n00:01.000 --> 00:02.000\nfirst\n\n"
        b"intro\n00:03.000 --> 00:04.000\nsecond\n"
    )

    with pytest.warns(pycaption.CaptionReadWarning, match="Duplicate cue identifier"):
        track = only_track(convert_to_webvtt(vtt))

    assert [text for _, _, text in cues_of(track)] == ["first", "second"]


def test_srt_style_tags_become_webvtt_tags_and_text_is_escaped() -> None:
    track = only_track(convert_to_webvtt(read_sample("sample.srt")))

    assert "<i>Fish &amp; chips</i> cost &lt; £5 > never 😀" in track.text


@pytest.mark.parametrize(
    "data",
    [
        read_sample("sample_crlf_bom.srt"),
        read_sample("sample_utf16.srt"),
        b"\xfe\xff" + read_sample("sample.srt").decode("utf-8").encode("utf-16-be"),
        read_sample("sample.srt").replace(b"\n", b"\r"),
    ],
    ids=["utf8-bom-crlf", "utf16-le-bom", "utf16-be-bom", "cr-only"],
)
def test_srt_encodings_and_line_endings_give_the_same_track(data: bytes) -> None:
    expected = only_track(convert_to_webvtt(read_sample("sample.srt")))

    assert only_track(convert_to_webvtt(data)) == expected


def test_latin1_srt_is_decoded() -> None:
    assert b"Caf\xe9" in read_sample("sample_latin1.srt")

    track = only_track(convert_to_webvtt(read_sample("sample_latin1.srt")))

    assert cues_of(track)[0] == ("00:00:01.000", "00:00:02.000", "Café, déjà vu")


def test_sami_gives_one_track_per_language_sorted() -> None:
    conversion = convert_to_webvtt(read_sample("sample_multilang.smi"))

    assert conversion.format is CaptionFormat.SAMI
    assert [track.language for track in conversion.tracks] == ["en-US", "fr-FR"]
    english, french = conversion.tracks
    assert cues_of(english) == [
        ("00:00:01.000", "00:00:03.500", "Welcome aboard."),
        ("00:00:03.500", "00:00:06.000", "Mind the gap & the step."),
    ]
    assert cues_of(french) == [
        ("00:00:01.000", "00:00:03.500", "Bienvenue à bord."),
        ("00:00:03.500", "00:00:06.000", "Attention à la marche."),
    ]


def test_sami_without_language_gives_an_unnamed_track() -> None:
    sami = b'<SAMI><BODY><SYNC Start="1000"><P>hi</P><SYNC Start="2000"><P>there</P></BODY></SAMI>'

    track = only_track(convert_to_webvtt(sami))

    assert track.language is None
    assert [text for _, _, text in cues_of(track)] == ["hi", "there"]


def test_dfxp_gives_one_track_per_language_in_file_order() -> None:
    conversion = convert_to_webvtt(read_sample("sample_multilang.dfxp"))

    assert [track.language for track in conversion.tracks] == ["en", "fr"]
    english, french = conversion.tracks
    assert [text for _, _, text in cues_of(english)] == ["Good evening.", "Where is the station?"]
    assert cues_of(french) == [
        ("00:00:01.000", "00:00:02.000", "Bonsoir."),
        ("00:00:02.500", "00:00:04.000", "Où est la gare ?"),
    ]


def test_dfxp_with_several_divs_per_language_keeps_every_cue() -> None:
    # pycaption alone keeps only the last div of each language.
    document = b"""<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en"><body>
      <div><p begin="00:00:03.000" end="00:00:04.000">two</p></div>
      <div><p begin="00:00:01.000" end="00:00:02.000">one</p></div>
      <div xml:lang="es"><p begin="00:00:01.000" end="00:00:02.000">uno</p></div>
      <div><p begin="00:00:05.000" end="00:00:06.000">three</p></div>
    </body></tt>"""
    alone = pycaption.DFXPReader().read(document.decode())
    assert [c.get_text() for c in alone.get_captions("en")] == ["three"]

    conversion = convert_to_webvtt(document)

    assert [track.language for track in conversion.tracks] == ["en", "es"]
    assert cues_of(conversion.tracks[0]) == [
        ("00:00:01.000", "00:00:02.000", "one"),
        ("00:00:03.000", "00:00:04.000", "two"),
        ("00:00:05.000", "00:00:06.000", "three"),
    ]


def test_ttml_with_a_namespace_prefix_converts() -> None:
    document = """<?xml version="1.0" encoding="UTF-8"?>
    <tt:tt xmlns:tt="http://www.w3.org/ns/ttml" xml:lang="de">
      <tt:body><tt:div>
        <tt:p begin="00:00:01.000" end="00:00:02.000">Guten Tag</tt:p>
        <tt:p begin="00:00:03.000" end="00:00:04.000">Tschüss<tt:br/>bis bald</tt:p>
      </tt:div></tt:body>
    </tt:tt>""".encode()

    conversion = convert_to_webvtt(document)

    track = only_track(conversion)
    assert conversion.format is CaptionFormat.DFXP
    assert track.language == "de"
    assert cues_of(track) == [
        ("00:00:01.000", "00:00:02.000", "Guten Tag"),
        ("00:00:03.000", "00:00:04.000", "Tschüss\nbis bald"),
    ]


def test_dfxp_that_cannot_be_read_exactly_is_refused() -> None:
    # The nested div's cue would replace the outer div's one.
    document = b"""<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en"><body>
      <div><p begin="1s" end="2s">one</p><div><p begin="3s" end="4s">two</p></div></div>
    </body></tt>"""

    with pytest.raises(CaptionError, match="2 paragraphs with text, but .* a cue count of 1"):
        convert_to_webvtt(document)


def test_srt_without_cue_numbers_and_with_dot_separators_keeps_every_cue() -> None:
    srt = (
        "00:00:01,000 --> 00:00:02,000\nfirst\n\n"
        "00:00:03.5 --> 00:00:04.25\nsecond\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\n<I>third</I> <font color=\"red\">red</font>\n"
    )

    track = only_track(convert_to_webvtt(srt.encode()))

    assert cues_of(track) == [
        ("00:00:01.000", "00:00:02.000", "first"),
        ("00:00:03.500", "00:00:04.250", "second"),
        ("00:00:05.000", "00:00:06.000", "third red"),
    ]
    assert "<i>third</i> red" in track.text


@pytest.mark.parametrize(
    ("srt", "texts"),
    [
        ("00:00:01,000 --> 00:00:02,000\n42\n\n00:00:03,000 --> 00:00:04,000\n7\n", ["42", "7"]),
        (
            "1\n00:00:01,000 --> 00:00:02,000\n42\n\n2\n00:00:03,000 --> 00:00:04,000\nb\n\n3\n",
            ["42", "b"],
        ),
        ("1\n00:00:01,000 --> 00:00:02,000\na\n2\n00:00:03,000 --> 00:00:04,000\nb\n", ["a", "b"]),
    ],
    ids=["unnumbered-numeric-text", "dangling-number-at-end", "no-blank-line-between"],
)
def test_srt_cue_numbers_are_told_from_numeric_text(srt: str, texts: list[str]) -> None:
    track = only_track(convert_to_webvtt(srt.encode()))

    assert [text for _, _, text in cues_of(track)] == texts


def test_dfxp_without_a_language_gives_an_unnamed_track() -> None:
    document = b"""<tt xmlns="http://www.w3.org/ns/ttml"><body><div>
      <p begin="00:00:01.000" end="00:00:02.000">hi</p>
    </div></body></tt>"""

    assert only_track(convert_to_webvtt(document)).language is None


@pytest.mark.parametrize(
    ("text", "caption_format"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n", CaptionFormat.SRT),
        ("\n\n00:00:01,000 --> 00:00:02,000\nhi\n", CaptionFormat.SRT),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", CaptionFormat.WEBVTT),
        ("\n  WEBVTT - title\n\n00:01.000 --> 00:02.000\nhi\n", CaptionFormat.WEBVTT),
        ("\nScenarist_SCC V1.0 \n\n00:00:01:00\t9420 942f\n", CaptionFormat.SCC),
        ('<tt xmlns="http://www.w3.org/ns/ttml"><body/></tt>', CaptionFormat.DFXP),
        ('<ttml:tt xmlns:ttml="http://www.w3.org/ns/ttml"></ttml:tt>', CaptionFormat.DFXP),
        ("<SAMI><BODY></BODY></SAMI>", CaptionFormat.SAMI),
        ("<SAMI><BODY><P>a <tt>typewriter</tt> tag</P></BODY></SAMI>", CaptionFormat.SAMI),
    ],
)
def test_detect_caption_format(text: str, caption_format: CaptionFormat) -> None:
    assert detect_caption_format(text) is caption_format


@pytest.mark.parametrize(
    "text", ["{1}{25}Hello\n{30}{50}World\n", "just some words", "<html></html>"]
)
def test_unknown_formats_are_named_in_the_error(text: str) -> None:
    with pytest.raises(CaptionError) as caught:
        detect_caption_format(text)

    assert str(caught.value) == (
        "The file is not a caption format avpipe reads (SRT, WebVTT, SCC, DFXP/TTML, SAMI)."
    )


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfa\r\nb\rc\n", "a\nb\nc\n"),
        (b"\xff\xfea\x00\r\x00\n\x00", "a\n"),
        (b"\xfe\xff\x00a\x00\n", "a\n"),
        (b"\xff\xfe\x00\x00a\x00\x00\x00", "a"),
        (b"\x93quoted\x94 \x80", "\u201cquoted\u201d \u20ac"),  # cp1252
        (b"caf\xe9 \x81", "café "),  # 0x81 is not cp1252: Latin-1, and the C1 control is dropped
        (b"tab\tand form\x0cfeed\x1a", "tab\tand formfeed"),
        ("Zürich 😀".encode(), "Zürich 😀"),
        ("cafÃ© au lait".encode(), "café au lait"),  # UTF-8 saved twice
        # a head read to sniff the format may end inside a character
        (b"\xef\xbb\xbfcaf\xc3", "caf"),
        (b"\xff\xfea\x00=\xd8", "a"),
    ],
)
def test_decode_caption_bytes(data: bytes, text: str) -> None:
    assert decode_caption_bytes(data) == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The caption file is empty."),
        (b" \r\n\t\n", "The caption file is empty."),
        (b"1\n00:00:01,000\x00 --> 00:00:02,000\nhi\n", "The caption file is binary data"),
        (bytes(range(1, 32)) * 4, "The caption file is binary data, not text."),
        (b"\xff\xfe\x00\xdca\x00", "starts with a UTF-16 byte-order mark but is not valid UTF-16."),
        (b"\xef\xbb\xbf\xff", "starts with a UTF-8 byte-order mark but is not valid UTF-8."),
    ],
)
def test_decode_caption_bytes_refuses(data: bytes, message: str) -> None:
    with pytest.raises(CaptionError, match=message.replace(".", r"\.")):
        decode_caption_bytes(data)


def test_size_is_bounded_before_decoding() -> None:
    data = read_sample("sample.srt")

    with pytest.raises(CaptionError, match=f"is {len(data)} bytes; .* at most 100 bytes"):
        convert_to_webvtt(data, max_bytes=100)
    assert convert_to_webvtt(data, max_bytes=len(data)).tracks


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken.srt", "The SRT file has a malformed cue timing on line 2."),
        ("empty.srt", "The caption file is empty."),
        ("binary.srt", "The caption file is binary data, not text."),
        ("xxe.dfxp", "The DFXP/TTML file contains XML entity declarations, which avpipe refuses."),
        ("bomb.dfxp", "The DFXP/TTML file contains XML entity declarations, which avpipe refuses."),
    ],
)
def test_bad_sample_files_raise_one_clear_sentence(name: str, message: str) -> None:
    with pytest.raises(CaptionError) as caught:
        convert_to_webvtt(read_sample(name))

    assert str(caught.value) == message
    assert isinstance(caught.value, BadInputError)
    assert caught.value.category == "bad_input"


@pytest.mark.parametrize(
    ("data", "message", "cause"),
    [
        (
            b'<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p end="2s">secret words</p>'
            b"</div></body></tt>",
            "The DFXP/TTML file has a cue with a missing or invalid time.",
            CaptionReadError,
        ),
        (
            b"Scenarist_SCC V1.0\n\n00:00:01:00\t9420 9470 "
            + b" ".join([b"c1c1"] * 17)
            + b" 942f\n\n00:00:04:00\t942c\n",
            "The SCC file has a caption line longer than 32 characters.",
            CaptionReadError,
        ),
        (
            b"<html><SAMI><BODY><SYNC Start=1000><P>hi</BODY></SAMI></html>",
            "The SAMI file is malformed.",
            CaptionReadError,
        ),
        (b"WEBVTT\n\nNOTE nothing here\n", "The WebVTT file contains no captions.", None),
        (
            b"1\n00:00:03,000 --> 00:00:02,000\nbackwards\n",
            "The SRT cue on line 2 ends before it starts.",
            None,
        ),
        (
            b"1\n24:00:01,000 --> 24:00:02,000\nlate\n",
            "The SRT file has a cue at or past 24 hours, which avpipe does not convert.",
            None,
        ),
    ],
)
def test_reader_failures_become_caption_errors_without_content(
    data: bytes, message: str, cause: type[Exception] | None
) -> None:
    with pytest.raises(CaptionError) as caught:
        convert_to_webvtt(data)

    assert str(caught.value) == message
    assert "secret" not in str(caught.value)
    if cause is not None:
        assert isinstance(caught.value.__cause__, cause)


def test_xxe_is_refused_and_leaks_nothing() -> None:
    with pytest.raises(CaptionError) as caught:
        convert_to_webvtt(read_sample("xxe.dfxp"))

    message = str(caught.value)
    assert "root:" not in message
    assert "passwd" not in message
    assert "\n" not in message


def test_pycaption_itself_neither_resolves_nor_expands_entities() -> None:
    # What avpipe's refusal guards against, checked on pycaption's own parser.
    for name in ("xxe.dfxp", "bomb.dfxp"):
        source = pycaption.DFXPReader().read(read_sample(name).decode())
        (caption,) = source.get_captions(source.get_languages()[0])
        assert caption.get_text() in {"&secret", "&lol9"}


def test_entity_declarations_are_refused_in_sami_too() -> None:
    sami = (
        b'<!DOCTYPE sami [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<SAMI><BODY><SYNC Start="1000"><P>a &x; b</P></SYNC></BODY></SAMI>'
    )

    with pytest.raises(CaptionError, match="SAMI file contains XML entity declarations"):
        convert_to_webvtt(sami)


def test_billion_laughs_is_refused_quickly_in_little_memory() -> None:
    data = read_sample("bomb.dfxp")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CaptionError, match="entity declarations"):
            convert_to_webvtt(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert elapsed < 1.0
    assert peak < 1_000_000


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b".EN { lang: en-US; }")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the test output quiet."""


@pytest.fixture
def css_server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"requests": requests})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/captions.css", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_sami_css_import_is_refused_before_anything_is_fetched(
    css_server: tuple[str, list[str]],
) -> None:
    url, requests = css_server
    sami = (
        f'<SAMI><HEAD><STYLE TYPE="text/css"><!-- @import url("{url}"); --></STYLE></HEAD>'
        '<BODY><SYNC Start="1000"><P Class="EN">hi</P></SYNC></BODY></SAMI>'
    ).encode()

    with pytest.raises(CaptionError, match="CSS at-rule such as @import"):
        convert_to_webvtt(sami)

    assert requests == []


def test_pycaption_alone_fetches_sami_css_imports(css_server: tuple[str, list[str]]) -> None:
    # Why avpipe refuses at-rules: cssutils follows @import while pycaption reads SAMI.
    url, requests = css_server
    sami = (
        f'<SAMI><HEAD><STYLE TYPE="text/css"><!-- @import url("{url}"); --></STYLE></HEAD>'
        '<BODY><SYNC Start="1000"><P Class="EN">hi</P></SYNC></BODY></SAMI>'
    )

    with contextlib.suppress(AttributeError):  # it then trips over the import rule
        pycaption.SAMIReader().read(sami)

    assert requests == ["/captions.css"]
