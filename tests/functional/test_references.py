"""Uploads that point at other files are refused before MediaInfo or ffmpeg follow them."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.analysis.guard import refuse_reference_container, refuse_references
from avpipe.config import Settings
from avpipe.errors import UnsupportedMediaError
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

from media import MediaLibrary


def playlists(secret: Path) -> dict[str, bytes]:
    return {
        "hls.mp4": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n{secret}\n#EXT-X-ENDLIST\n".encode(),
        "concat.mp4": f"ffconcat version 1.0\nfile '{secret}'\n".encode(),
        "bom-hls.mov": b"\xef\xbb\xbf#EXTM3U\n" + f"{secret}\n".encode(),
        "dash.mp4": b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"></MPD>',
        "list.mp4": f"[playlist]\nFile1={secret}\n".encode(),
    }


def test_playlists_named_as_media_fail_without_reading_what_they_point_at(
    tmp_path: Path, media: MediaLibrary
) -> None:
    secret = media.tiny  # a real, readable media file the playlist points to
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    for name, body in playlists(secret).items():
        upload = tmp_path / name
        upload.write_bytes(body)
        manifest = runtime.process_key(runtime.submit_file(str(upload)))
        assert manifest is not None and manifest.status is Status.FAILED, name
        assert manifest.error and "refers to other files" in manifest.error.reason
        assert manifest.media is None, "nothing about the referenced file was analysed"
    assert not list((tmp_path / "data/public").glob("audiovideo/**/*"))


def test_signatures_and_containers() -> None:
    refuse_references(b"\x00\x00\x00\x18ftypmp42")  # a real MP4 passes
    with pytest.raises(UnsupportedMediaError):
        refuse_references(b"  #extm3u\n")
    with pytest.raises(UnsupportedMediaError):
        refuse_reference_container("HLS")
    refuse_reference_container("MPEG-4")
