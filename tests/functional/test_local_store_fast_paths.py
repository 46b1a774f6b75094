"""LocalStore without needless copies: outputs moved in, files copied inside the kernel."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from avpipe.pipeline.events import Event, ObjectCreated
from avpipe.pipeline.notifying_store import NotifyingStore
from avpipe.storage.base import Store
from avpipe.storage.local import LocalStore, copy_file


def test_adopt_moves_a_file_from_the_scratch_folder_without_copying(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "public")
    scratch = Path(store.scratch_dir())
    made = scratch / "out0.mp4"
    made.write_bytes(b"rendition" * 1000)
    inode = made.stat().st_ino
    store.adopt("audiovideo/a_360p.mp4", made)
    assert not made.exists()
    assert store.path("audiovideo/a_360p.mp4").stat().st_ino == inode  # the same file, renamed
    assert store.read_bytes("audiovideo/a_360p.mp4") == b"rendition" * 1000
    assert [info.key for info in store.list()] == ["audiovideo/a_360p.mp4"]  # scratch is never listed


def test_scratch_files_in_progress_are_not_listed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "public")
    with tempfile.TemporaryDirectory(dir=store.scratch_dir()) as job:
        Path(job, "out0.mp4").write_bytes(b"half written")
        assert list(store.list()) == []


def test_adopt_from_another_folder_still_stores_the_bytes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "public")
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"x" * 4096)
    store.adopt("a.bin", elsewhere)
    assert store.read_bytes("a.bin") == b"x" * 4096


def test_generic_adopt_puts_and_the_notifying_store_announces_it(tmp_path: Path) -> None:
    events: list[Event] = []
    inner = LocalStore(tmp_path / "public")
    store = NotifyingStore(inner, "public", events.append)
    assert store.scratch_dir() == inner.scratch_dir()
    source = tmp_path / "made.bin"
    source.write_bytes(b"abc")
    Store.adopt(store, "thumbnail/a.jpg", source)  # the base class: a plain put
    assert store.read_bytes("thumbnail/a.jpg") == b"abc"
    assert events == [ObjectCreated("public", "thumbnail/a.jpg")]


def test_copy_file_copies_every_byte_between_real_files(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)
    source.write_bytes(data)
    with source.open("rb") as src, (tmp_path / "copy.bin").open("wb") as out:
        copy_file(src, out)
    assert (tmp_path / "copy.bin").read_bytes() == data


def test_copy_file_falls_back_for_objects_without_a_file_descriptor() -> None:
    out = io.BytesIO()
    copy_file(io.BytesIO(b"in memory"), out)
    assert out.getvalue() == b"in memory"
