"""Whatever bytes arrive, caption conversion returns tracks or raises CaptionError."""

from __future__ import annotations

from pathlib import Path

import pytest
import webvtt
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from avpipe.captions import CaptionConversion, convert_to_webvtt
from avpipe.errors import CaptionError

# bs4 4.13+ deprecates findChild/findChildren, which pycaption's DFXP reader still
# calls; pycaption's CaptionReadWarning flags odd but readable WebVTT. Neither may
# turn into an exception here, where only the outcome of a conversion is tested.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Call to deprecated method:DeprecationWarning:pycaption.*"),
    pytest.mark.filterwarnings("ignore::pycaption.CaptionReadWarning"),
]

DATA = Path(__file__).resolve().parent.parent / "data" / "captions"
VALID_SAMPLES = [
    (DATA / name).read_bytes()
    for name in (
        "sample.srt",
        "sample_crlf_bom.srt",
        "sample_latin1.srt",
        "sample_utf16.srt",
        "sample.vtt",
        "sample.scc",
        "sample.dfxp",
        "sample_multilang.dfxp",
        "sample_multilang.smi",
    )
]

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def check_outcome(data: bytes) -> None:
    """Convert ``data``; a result must be valid WebVTT with every cue counted."""
    try:
        conversion = convert_to_webvtt(data)
    except CaptionError as exc:
        assert str(exc)
        assert "Traceback" not in str(exc)
        return
    assert isinstance(conversion, CaptionConversion)
    assert conversion.tracks
    for track in conversion.tracks:
        assert track.text.startswith("WEBVTT")
        assert track.cue_count == len(webvtt.from_string(track.text).captions) > 0


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    """A valid sample with a few bytes flipped, cut, inserted or repeated."""
    data = bytearray(draw(st.sampled_from(VALID_SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        length = draw(st.integers(min_value=1, max_value=16))
        operation = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if operation == "flip" and data:
            data[position] ^= draw(st.integers(min_value=1, max_value=255))
        elif operation == "cut":
            del data[position : position + length]
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=length))
        elif operation == "repeat":
            data[position:position] = data[position : position + length]
        else:
            del data[position:]
    return bytes(data)


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xff\xfe")
@example(b"WEBVTT")
@example(b"Scenarist_SCC V1.0")
@example(b"1\n00:00:01,000 --> 00:00:02,000\n")
@example(b"<tt></tt>")
@example(b"<SAMI></SAMI>")
def test_arbitrary_bytes_give_tracks_or_caption_error(data: bytes) -> None:
    check_outcome(data)


@PROPERTY_SETTINGS
@given(mutated_samples())
def test_mutated_samples_give_tracks_or_caption_error(data: bytes) -> None:
    check_outcome(data)


@PROPERTY_SETTINGS
@given(
    st.sampled_from([b"1\n", b"WEBVTT\n\n", b"Scenarist_SCC V1.0\n\n", b"<tt>", b"<SAMI>"]),
    st.text(max_size=2000),
)
def test_a_format_signature_followed_by_any_text_gives_tracks_or_caption_error(
    head: bytes, tail: str
) -> None:
    check_outcome(head + tail.encode("utf-8", "surrogatepass"))
