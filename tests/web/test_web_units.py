"""The pure parts of the web app: names, the multipart reader, settings."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avpipe.errors import BadInputError, ConfigurationError
from avpipe.keys import is_ignored
from avpipe.web.form import FormData, PayloadTooLarge, read_form
from avpipe.web.names import MAX_SEGMENT_BYTES, safe_upload_name
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


@settings(deadline=None, max_examples=60)
@given(st.binary(max_size=3000), st.sampled_from([1, 7, 64, 4096]))
def test_multipart_file_bytes_survive_any_content(data: bytes, block: int) -> None:
    body, content_type = multipart({"name": "a.mp4", "chunk": "0"}, data + b"\r\n--")
    form = anyio.run(_read, body, block, content_type, 10_000)
    assert form.file_path is not None
    try:
        assert form.file_path.read_bytes() == data + b"\r\n--"
        assert form.fields == {"name": "a.mp4", "chunk": "0"} and form.file_size == len(data) + 4
    finally:
        form.file_path.unlink()


def test_multipart_file_over_the_limit_is_refused_and_removed(tmp_path: Path) -> None:
    body, content_type = multipart({"name": "a.mp4"}, b"x" * 5000)
    with pytest.raises(PayloadTooLarge):
        anyio.run(_read, body, 1000, content_type, 1000, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_cut_multipart_body_is_refused_and_removed(tmp_path: Path) -> None:
    body, content_type = multipart({"name": "a.mp4"}, b"x" * 5000)
    with pytest.raises(BadInputError):
        anyio.run(_read, body[:-30], 512, content_type, 10_000, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


async def _read(body: bytes, block: int, content_type: str, limit: int, folder: str | None = None) -> FormData:
    async def trickle() -> AsyncIterator[bytes]:  # a body arriving in small pieces, as from a slow network
        for start in range(0, len(body), block):
            yield body[start:start + block]

    return await read_form(trickle(), content_type, file_limit=limit, folder=folder, read_timeout_s=5)


def test_sizes_and_settings_from_the_environment() -> None:
    assert parse_size("X", "4MB") == 4 * 1024 * 1024 and parse_size("X", "512") == 512
    environ = {"AVPIPE_TOKEN": "zq-secret-9", "AVPIPE_MAX_UPLOAD": "1gb", "AVPIPE_CHUNK_SIZE": "64kb"}
    settings = WebSettings.from_env(environ)
    assert settings.token == "zq-secret-9" and settings.max_upload_bytes == 1024**3 and settings.chunk_bytes == 65536
    assert "zq-secret-9" not in repr(settings)
    with pytest.raises(ConfigurationError):
        WebSettings.from_env({"AVPIPE_MAX_UPLOAD": "lots"})
