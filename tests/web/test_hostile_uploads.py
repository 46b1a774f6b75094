"""The hostile-input corpus through the web upload: chunked into inputs/, processed, failed with
a reason the library shows; nothing requested from the network, nothing leaked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from avpipe.web.settings import WebSettings

from hostile_corpus import SECRET, Listener, corpus
from media import MediaLibrary
from webclient import ApiServer, serve_app


@pytest.fixture
def big_api(tmp_path: Path) -> Iterator[ApiServer]:
    yield from serve_app(tmp_path, WebSettings(chunk_bytes=256 * 1024, max_upload_bytes=16 * 1024 * 1024))



def upload(api: ApiServer, name: str, data: bytes) -> int:
    """Upload in two chunks (one when tiny) the way the page does; return the last status."""
    half = max(1, len(data) // 2)
    parts = [data[:half], data[half:]] if len(data) > 1 else [data]
    status = 0
    for index, part in enumerate(parts):
        status = api.post_chunk(name, part, index, len(parts), total=len(data)).status
    return status


def test_corpus_through_the_web_upload(big_api: ApiServer, tmp_path: Path, media: MediaLibrary,
                                       listener: Listener) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    (tmp_path / "corpus").mkdir()
    accepted = set(big_api.app.settings.accepted_extensions)
    processed = 0
    for name, path in corpus(tmp_path / "corpus", media, listener, secret_file).items():
        if "." + name.rsplit(".", 1)[-1] not in accepted:
            continue
        status = upload(big_api, name, path.read_bytes())
        if status >= 400:  # refused at the door (e.g. an empty body): nothing stored, nothing to process
            assert not big_api.runtime.watch.exists(f"inputs/{name}")
            continue
        manifest = big_api.runtime.process_key(f"inputs/{name}")
        assert manifest is not None and manifest.status == "failed", name
        shown = big_api.request("GET", "/api/assets/" + quote(manifest.name)).json()
        assert shown["state"] == "failed" and shown["error"]["reason"] == manifest.error.reason  # type: ignore[union-attr]
        processed += 1
    assert processed >= 10
    assert listener.connections == 0
    for path in (tmp_path / "data/public").rglob("*"):
        if path.is_file() and "original" not in path.parts:
            assert SECRET.encode() not in path.read_bytes(), path
