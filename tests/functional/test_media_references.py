"""Media that points outside itself: QuickTime data references, reference movies, an XML
manifest hidden behind a long comment. Each attack is performed against the pipeline (or
the presigned-URL analysis path): the upload is refused, nothing outside it is read or
contacted, no media facts are recorded, and the pipeline keeps processing later uploads."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from avpipe.analysis.isolated import analyse
from avpipe.analysis.mediainfo import probe
from avpipe.config import Settings
from avpipe.errors import BadInputError, UnsupportedMediaError
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

from hostile_corpus import Listener
from media import MediaLibrary, run_ffmpeg
from mov_refs import alias_record, with_avid_path, with_dref_entry, with_reference_movie


@pytest.fixture(scope="module")
def movie(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> Path:
    """A 0.5 s QuickTime movie, moov after mdat (so its header can grow without moving samples)."""
    path = tmp_path_factory.mktemp("refs") / "plain.mov"
    run_ffmpeg(media_ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.5",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> Path:
    """A folder outside the data folder holding a distinctive 3.7 s, 1234x566 movie."""
    folder = tmp_path_factory.mktemp("outside")
    run_ffmpeg(media_ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=1234x566:rate=10:duration=3.7",
               "-c:v", "libx264", "-preset", "ultrafast", str(folder / "secret.mp4"))
    return folder


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def assert_no_facts_of_the_secret(manifest: dict[str, object], outside: Path) -> None:
    """Neither the outside movie's size (1234x566) nor its duration (3.7 s) nor its path is in the manifest.

    Checked value by value: a timestamp or a digest may well contain the digits "1234" or "3.7".
    """
    leaves = _leaves(manifest)
    numbers = [leaf for leaf in leaves if isinstance(leaf, int | float) and not isinstance(leaf, bool)]
    assert not [n for n in numbers if n in (1234, 566) or abs(n - 3.7) < 0.06], numbers
    texts = [leaf for leaf in leaves if isinstance(leaf, str)]
    assert not [t for t in texts if "1234x566" in t or "secret" in t or str(outside) in t], texts


def _process(tmp_path: Path, upload: Path) -> tuple[LocalRuntime, dict[str, object]]:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    manifest = runtime.process_key(runtime.submit_file(str(upload)))
    assert manifest is not None
    return runtime, manifest.to_dict()


def test_an_alias_to_a_file_outside_the_data_folder_is_refused_and_its_facts_never_appear(
        tmp_path: Path, movie: Path, outside: Path) -> None:
    upload = with_dref_entry(movie, tmp_path / "alias.mov", b"alis", alias_record(str(outside), "secret.mp4"))
    _, manifest = _process(tmp_path, upload)
    assert manifest["status"] == "failed"
    assert "data reference" in manifest["error"]["reason"]  # type: ignore[index]
    assert manifest.get("media") is None, "no media facts for a refused upload"
    assert_no_facts_of_the_secret(manifest, outside)


def test_an_avid_path_to_a_file_outside_is_refused(tmp_path: Path, movie: Path, outside: Path) -> None:
    _, manifest = _process(tmp_path, with_avid_path(movie, tmp_path / "avid.mov", str(outside / "secret.mp4")))
    assert manifest["status"] == "failed" and manifest.get("media") is None
    assert_no_facts_of_the_secret(manifest, outside)


@pytest.mark.parametrize(("kind", "body"), [
    (b"rsrc", b"\0" * 8),
    (b"url ", b"file:///etc/passwd\0"),
    (b"urn ", b"urn:x\0file:///etc/passwd\0"),
])
def test_every_external_data_reference_kind_is_refused(tmp_path: Path, movie: Path, kind: bytes, body: bytes) -> None:
    with pytest.raises(UnsupportedMediaError, match="data reference"):
        probe(with_dref_entry(movie, tmp_path / "ref.mov", kind, body))


def test_a_self_contained_data_reference_is_fine(tmp_path: Path, movie: Path) -> None:
    facts = probe(with_dref_entry(movie, tmp_path / "self.mov", b"alis", b"", flags=1))
    assert facts.video is not None and facts.video.width == 64


def test_a_reference_movie_is_refused(tmp_path: Path, movie: Path, listener: Listener) -> None:
    with pytest.raises(UnsupportedMediaError, match="reference movie"):
        probe(with_reference_movie(movie, tmp_path / "rmra.mov", f"{listener.url}/other.mov"))
    assert listener.connections == 0


def test_an_alias_to_a_fifo_costs_one_upload_in_bounded_time(tmp_path: Path, movie: Path,
                                                             media: MediaLibrary) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    upload = with_dref_entry(movie, tmp_path / "fifo.mov", b"alis", alias_record(str(tmp_path), "pipe"))
    started = time.monotonic()
    runtime, manifest = _process(tmp_path, upload)
    assert manifest["status"] == "failed"
    later = runtime.process_key(runtime.submit_file(str(media.tiny)))
    assert later is not None and later.status is Status.COMPLETE, "later uploads are still processed"
    assert time.monotonic() - started < 30


def test_mediainfo_that_hangs_is_stopped_after_its_timeout(tmp_path: Path, movie: Path) -> None:
    """Past the screening (here: skipped) and without namespaces, MediaInfo opens the FIFO and
    blocks; the child is stopped at its deadline and the upload fails as bad input."""
    os.mkfifo(tmp_path / "pipe")
    upload = with_dref_entry(movie, tmp_path / "fifo.mov", b"alis", alias_record(str(tmp_path), "pipe"))
    data = upload.read_bytes()
    started = time.monotonic()
    with pytest.raises(BadInputError, match="within 2 s"):
        analyse(lambda offset, length: data[offset:offset + length], len(data), timeout_s=2, confine=False)
    assert time.monotonic() - started < 10


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, as a presigned URL would serve an upload."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             lambda *a: _Files(*a, directory=str(folder)))  # type: ignore[misc]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_inside_an_upload_read_through_a_presigned_url_is_never_requested(
        served: tuple[Path, str], movie: Path, listener: Listener) -> None:
    folder, base = served
    with_dref_entry(movie, folder / "alias.mov", b"alis", alias_record(listener.url, "internal.mp4"))
    with_dref_entry(movie, folder / "url.mov", b"url ", f"{listener.url}/internal.mp4\0".encode())
    (folder / "dash.mp4").write_text(_hidden_mpd(listener.url))
    for name in ("alias.mov", "url.mov", "dash.mp4"):
        with pytest.raises(UnsupportedMediaError):
            probe(f"{base}/{name}?X-Amz-Signature=abc")
    assert listener.connections == 0


def test_the_confined_child_reaches_no_url_even_past_the_screening(movie: Path, tmp_path: Path,
                                                                   listener: Listener) -> None:
    upload = with_dref_entry(movie, tmp_path / "alias.mov", b"alis", alias_record(listener.url, "internal.mp4"))
    data = upload.read_bytes()
    result = analyse(lambda offset, length: data[offset:offset + length], len(data))
    if not result.confined:
        pytest.skip("this platform allows no namespaces here; the screening alone guards")
    assert [track.get("duration") for track in result.tracks] == [500, 500], "the alias led nowhere"
    assert listener.connections == 0


def test_without_namespaces_the_child_still_reaches_no_url(movie: Path, tmp_path: Path, listener: Listener) -> None:
    """As on Lambda, where namespaces are not permitted: libcurl is pointed at a closed port."""
    upload = with_dref_entry(movie, tmp_path / "alias.mov", b"alis", alias_record(listener.url, "internal.mp4"))
    data = upload.read_bytes()
    result = analyse(lambda offset, length: data[offset:offset + length], len(data), confine=False)
    assert not result.confined and result.tracks
    assert listener.connections == 0


def _hidden_mpd(url: str) -> str:
    """A DASH manifest whose root element comes after an 8 KB comment; its media is at ``url``."""
    return ('<?xml version="1.0"?>\n<!-- ' + "x" * 8000 + ' -->\n'
            f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><BaseURL>{url}/</BaseURL>'
            '<Period><AdaptationSet><Representation id="1"><BaseURL>v.mp4</BaseURL>'
            '</Representation></AdaptationSet></Period></MPD>\n')


def test_a_dash_manifest_behind_a_long_comment_is_refused_before_mediainfo(
        tmp_path: Path, listener: Listener) -> None:
    upload = tmp_path / "lecture.mp4"
    upload.write_text(_hidden_mpd(listener.url))
    _, manifest = _process(tmp_path, upload)
    assert manifest["status"] == "failed"
    assert "DASH manifest" in manifest["error"]["reason"]  # type: ignore[index]
    assert manifest.get("media") is None
    assert listener.connections == 0


def test_a_utf16_manifest_far_into_the_file_is_refused(tmp_path: Path) -> None:
    upload = tmp_path / "x.mp4"
    text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!--" + " " * 3_000_000 + "-->\n<MPD></MPD>"
    upload.write_bytes(text.encode("utf-16"))
    with pytest.raises(UnsupportedMediaError, match="DASH"):
        probe(upload)
