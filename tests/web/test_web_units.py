"""The pure parts of the web app: names, ranges, the multipart reader, settings."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avpipe.errors import BadInputError, ConfigurationError
from avpipe.keys import is_ignored
from avpipe.web.multipart import PayloadTooLarge, read_form
from avpipe.web.names import MAX_SEGMENT_BYTES, safe_upload_name
from avpipe.web.ranges import ByteRange, RangeNotSatisfiable, parse_range
from avpipe.web.settings import WebSettings, parse_size

from webclient import multipart


def test_long_names_are_bounded_and_keep_their_extension() -> None:
    name = safe_upload_name("é" * 300 + ".mp4")
    assert name.endswith(".mp4") and len(name.encode("utf-8")) <= MAX_SEGMENT_BYTES


def test_chunk_like_names_are_not_mistaken_for_parts() -> None:
    assert safe_upload_name("clip.mp4.CHUNK3") == "clip.mp4_CHUNK3"


def test_deep_folders_are_refused() -> None:
    with pytest.raises(BadInputError):
        safe_upload_name("/".join("abcdefghij") + ".mp4")


@given(st.text(min_size=1, max_size=80))
def test_any_name_is_safe_or_refused(raw: str) -> None:
    try:
        name = safe_upload_name(raw)
    except BadInputError:
        return
    parts = name.split("/")
    assert all(part and part not in (".", "..") and not part.startswith(".") for part in parts)
    assert not is_ignored("inputs/" + name)
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("items=0-1", None), ("bytes=0-1,5-6", None), ("bytes=9-3", None),
    ("bytes=0-0", ByteRange(0, 0)), ("bytes=-1", ByteRange(99, 99)), ("bytes=-500", ByteRange(0, 99)),
])
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=150-160"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


@given(st.binary(max_size=3000), st.sampled_from([1, 7, 64, 4096]))
def test_multipart_file_bytes_survive_any_content(data: bytes, block: int) -> None:
    body, content_type = multipart({"name": "a.mp4", "chunk": "0"}, data + b"\r\n--")
    stream = _Trickle(body, block)
    form = read_form(stream, len(body), content_type, file_limit=10_000)  # type: ignore[arg-type]
    assert form.file_path is not None
    try:
        assert form.file_path.read_bytes() == data + b"\r\n--"
        assert form.fields == {"name": "a.mp4", "chunk": "0"} and form.file_size == len(data) + 4
    finally:
        form.file_path.unlink()


def test_multipart_file_over_the_limit_is_refused_and_removed(tmp_path: object) -> None:
    body, content_type = multipart({"name": "a.mp4"}, b"x" * 5000)
    with pytest.raises(PayloadTooLarge):
        read_form(io.BytesIO(body), len(body), content_type, file_limit=1000)


def test_sizes_and_settings_from_the_environment() -> None:
    assert parse_size("X", "4MB") == 4 * 1024 * 1024 and parse_size("X", "512") == 512
    environ = {"AVPIPE_TOKEN": "zq-secret-9", "AVPIPE_MAX_UPLOAD": "1gb", "AVPIPE_CHUNK_SIZE": "64kb"}
    settings = WebSettings.from_env(environ)
    assert settings.token == "zq-secret-9" and settings.max_upload_bytes == 1024**3 and settings.chunk_bytes == 65536
    assert "zq-secret-9" not in repr(settings)
    with pytest.raises(ConfigurationError):
        WebSettings.from_env({"AVPIPE_MAX_UPLOAD": "lots"})


class _Trickle(io.BytesIO):
    """A request body arriving in small pieces, as from a slow network."""

    def __init__(self, data: bytes, block: int) -> None:
        super().__init__(data)
        self.block = block

    def read(self, size: int | None = -1, /) -> bytes:
        return super().read(min(self.block, size if size is not None and size >= 0 else self.block))
