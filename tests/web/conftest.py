"""Fixtures for the web app: a server on 127.0.0.1 with a free port and its own data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from avpipe.web.settings import WebSettings

from webclient import CHUNK, ApiServer, serve_app


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiServer]:
    yield from serve_app(tmp_path, WebSettings(chunk_bytes=CHUNK, max_upload_bytes=1024 * 1024))


@pytest.fixture
def api_with_token(tmp_path: Path) -> Iterator[ApiServer]:
    yield from serve_app(tmp_path, WebSettings(token="s3cret-token", max_upload_bytes=1024 * 1024))
