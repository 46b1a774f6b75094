"""One contract every storage backend must meet. The AWS issue adds S3 (moto) to STORES."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from avpipe.storage import LocalStore, Store, open_store

StoreFactory = Callable[[pytest.FixtureRequest, Path], Store]


def _s3_store(request: pytest.FixtureRequest, tmp: Path) -> Store:
    """A fresh bucket on moto's HTTP server (under a prefix, to cover prefixed stores too)."""
    from avpipe.storage.s3 import S3Store

    from moto_server import client, new_bucket

    endpoint = request.getfixturevalue("moto_endpoint")
    return S3Store(f"s3://{new_bucket(endpoint)}/some prefix", client(endpoint, "s3"))


STORES: dict[str, StoreFactory] = {
    "local": lambda _request, tmp: LocalStore(tmp / "bucket"),
    "s3": _s3_store,
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return STORES[request.param](request, tmp_path)


def test_put_read_stat_delete(store: Store) -> None:
    store.put("inputs/a b/é.txt", b"hello world")
    assert store.read_bytes("inputs/a b/é.txt") == b"hello world"
    assert store.read_bytes("inputs/a b/é.txt", 6, 3) == b"wor"
    info = store.stat("inputs/a b/é.txt")
    assert info.size == 11 and info.key == "inputs/a b/é.txt" and info.etag
    store.delete("inputs/a b/é.txt")
    assert not store.exists("inputs/a b/é.txt")
    store.delete("inputs/a b/é.txt")  # deleting twice is fine


def test_missing_keys_raise_file_not_found(store: Store) -> None:
    with pytest.raises(FileNotFoundError):
        store.stat("nope")
    with pytest.raises(FileNotFoundError):
        store.read_bytes("nope")


def test_overwrite_changes_version(store: Store) -> None:
    store.put("k", b"one")
    first = store.stat("k").etag
    store.put("k", b"two!")
    assert store.read_bytes("k") == b"two!" and store.stat("k").etag != first


def test_list_by_prefix_in_key_order(store: Store) -> None:
    for key in ["inputs/b.mp4", "inputs/a.mp4", "inputs/sub/c.mp4", "public/x"]:
        store.put(key, b"x")
    assert [i.key for i in store.list("inputs/")] == ["inputs/a.mp4", "inputs/b.mp4", "inputs/sub/c.mp4"]


def test_put_from_file_and_copy_between_stores(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    store.put("big.bin", source)
    other = LocalStore(tmp_path / "other")
    store.copy_to("big.bin", other, "copy/big.bin")
    assert other.read_bytes("copy/big.bin") == source.read_bytes()
    with store.local_file("big.bin") as path:
        assert Path(path).read_bytes() == source.read_bytes()
    out = io.BytesIO()
    store.download("big.bin", out)
    assert out.getvalue() == source.read_bytes()


def test_uri_round_trips_to_key(store: Store) -> None:
    store.put("audiovideo/x y/é.mp4", b"x")
    assert store.key_for_uri(store.uri("audiovideo/x y/é.mp4")) == "audiovideo/x y/é.mp4"
    assert store.key_for_uri("s3://somewhere-else/x") is None


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b"])
def test_keys_cannot_escape(store: Store, key: str) -> None:
    with pytest.raises(Exception) as info:
        store.put(key, b"x")
    assert not isinstance(info.value, FileNotFoundError)


def test_local_writes_are_atomic_and_hide_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    store.put("a/x.bin", b"1" * 10)
    leftovers = [p.name for p in (tmp_path / "b" / "a").iterdir()]
    assert leftovers == ["x.bin"]


def test_registry_opens_paths_and_file_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store((tmp_path / "x y").as_uri()), LocalStore)
    assert open_store((tmp_path / "x y").as_uri()).url == str(tmp_path / "x y")


def test_conditional_writes(store: Store) -> None:
    assert store.put_if("claims/a.json", b"first", version=None) is True
    assert store.put_if("claims/a.json", b"second", version=None) is False, "create-only must not overwrite"
    assert store.read_bytes("claims/a.json") == b"first"
    current = store.stat("claims/a.json").etag
    assert store.put_if("claims/a.json", b"third", version=current) is True
    assert store.put_if("claims/a.json", b"fourth", version=current) is False, "stale version must not win"
    assert store.read_bytes("claims/a.json") == b"third"
    assert store.put_if("claims/missing.json", b"x", version=current) is False


@pytest.mark.parametrize("sizes", [[10, 20, 5], [6 * 1024 * 1024, 6 * 1024 * 1024, 100]], ids=["small", "5MiB-parts"])
def test_compose_joins_parts_in_order(store: Store, sizes: list[int]) -> None:
    parts = []
    for index, size in enumerate(sizes):
        key = f"inputs/big.mp4.CHUNK{index}"
        store.put(key, bytes([65 + index]) * size)
        parts.append(key)
    store.compose(parts, "inputs/big.mp4")
    joined = store.read_bytes("inputs/big.mp4")
    assert joined == b"".join(bytes([65 + i]) * size for i, size in enumerate(sizes))


def test_move_renames_within_the_store(store: Store) -> None:
    store.put("staging/t/a b_720p.mp4", b"rendition")
    store.move("staging/t/a b_720p.mp4", "audiovideo/a b_720p.mp4")
    assert store.read_bytes("audiovideo/a b_720p.mp4") == b"rendition"
    assert not store.exists("staging/t/a b_720p.mp4")
    with pytest.raises(FileNotFoundError):
        store.move("staging/t/missing.mp4", "audiovideo/missing.mp4")


def test_delete_if_removes_only_the_version_that_was_processed(store: Store) -> None:
    store.put("inputs/talk.mp4", b"version one")
    first = store.stat("inputs/talk.mp4").etag or ""
    store.put("inputs/talk.mp4", b"version two, uploaded during the job")
    assert store.delete_if("inputs/talk.mp4", first) is False
    assert store.read_bytes("inputs/talk.mp4") == b"version two, uploaded during the job"
    second = store.stat("inputs/talk.mp4").etag or ""
    assert store.delete_if("inputs/talk.mp4", second) is True and not store.exists("inputs/talk.mp4")
    assert store.delete_if("inputs/talk.mp4", second) is False, "already gone"


def test_delete_if_keeps_a_version_written_between_check_and_delete(store: Store) -> None:
    """The window between comparing and deleting: a re-upload lands right after the version check."""
    if isinstance(store, LocalStore):
        pytest.skip("the local store reads the version from the file it has already renamed aside: no window")
    store.put("inputs/talk.mp4", b"version one")
    first = store.stat("inputs/talk.mp4").etag or ""
    real_stat = store.stat

    def stat_then_reupload(key: str):  # type: ignore[no-untyped-def]
        info = real_stat(key)
        store.stat = real_stat  # type: ignore[method-assign]
        store.put(key, b"version two")
        return info

    store.stat = stat_then_reupload  # type: ignore[method-assign]
    store.delete_if("inputs/talk.mp4", first)
    assert store.read_bytes("inputs/talk.mp4") == b"version two"


def test_local_lock_and_scratch_files_are_nobodys_objects(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    long_name = "claims/" + "n" * 250 + ".json"  # the lock file is one per folder: no name is too long for it
    assert store.put_if(long_name, b"{}", version=None) is True
    Path(store.scratch_dir(), "half-made.mp4").write_bytes(b"x")
    assert (tmp_path / "b/claims/.avpipe-tmp-lock").exists()
    assert [info.key for info in store.list()] == [long_name], "lock and scratch files are never listed"
    for key in ("claims/.avpipe-tmp-lock", ".avpipe-tmp-scratch/half-made.mp4"):
        with pytest.raises(FileNotFoundError):  # so nothing built on the store (the web app) serves them
            store.stat(key)
        with pytest.raises(FileNotFoundError):
            store.read_bytes(key)


def test_local_reads_refuse_links_and_fifos(tmp_path: Path) -> None:
    import os

    from avpipe.errors import BadInputError

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    store = LocalStore(tmp_path / "b")
    store.put("inputs/plain.txt", b"plain")
    (tmp_path / "b/inputs/soft.txt").symlink_to(outside)
    os.link(outside, tmp_path / "b/inputs/hard.txt")
    os.mkfifo(tmp_path / "b/inputs/fifo.mp4")
    other = LocalStore(tmp_path / "other")
    for key in ("inputs/soft.txt", "inputs/hard.txt"):
        with pytest.raises(BadInputError):
            store.read_bytes(key)
        with pytest.raises(BadInputError):
            store.copy_to(key, other, "x.txt")
        with pytest.raises(BadInputError), store.local_file(key):
            pass
    with pytest.raises(FileNotFoundError):  # opened without blocking, and not a file
        store.read_bytes("inputs/fifo.mp4")
    assert [i.key for i in store.list("inputs/")] == ["inputs/hard.txt", "inputs/plain.txt", "inputs/soft.txt"]
    assert not other.exists("x.txt")


def test_a_trusted_local_store_follows_the_operators_links(tmp_path: Path) -> None:
    """The public store: a folder linked to another disk, files hard-linked by a snapshot."""
    import os

    (tmp_path / "big-disk").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b/audiovideo").symlink_to(tmp_path / "big-disk", target_is_directory=True)
    store = LocalStore(tmp_path / "b", trusted=True)
    store.put("audiovideo/a_360p.mp4", b"rendition")
    os.link(tmp_path / "big-disk/a_360p.mp4", tmp_path / "snapshot.mp4")
    assert store.read_bytes("audiovideo/a_360p.mp4") == b"rendition"
    (tmp_path / "elsewhere.txt").write_bytes(b"0123456789")
    (tmp_path / "b/linked.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert [(i.key, i.size) for i in store.list()] == [("audiovideo/a_360p.mp4", 9), ("linked.txt", 10)]
    assert store.stat("linked.txt").size == 10


def test_local_writes_never_go_through_a_linked_folder(tmp_path: Path) -> None:
    from avpipe.errors import BadInputError

    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStore(tmp_path / "b")
    store.put("inputs/x", b"x")
    (tmp_path / "b/inputs/evil").symlink_to(outside, target_is_directory=True)
    for key in ("inputs/evil/authorized_keys", "inputs/evil/deeper/file"):
        with pytest.raises(BadInputError):
            store.put(key, b"planted")
    assert list(outside.iterdir()) == [], "nothing was written (or made) outside the store"


@pytest.mark.parametrize("swap", ["to a link", "to a link and back"])
def test_local_tools_path_swapped_for_a_link_while_read_is_refused(tmp_path: Path, swap: str) -> None:
    import os

    from avpipe.errors import AvpipeError

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    store = LocalStore(tmp_path / "b")
    store.put("inputs/a.mp4", b"video")
    path = tmp_path / "b/inputs/a.mp4"
    with pytest.raises(AvpipeError):
        with store.local_file("inputs/a.mp4") as name:  # what ffmpeg would be given
            os.rename(path, tmp_path / "b/inputs/.aside")
            os.symlink(outside, path)  # ... and the tool now reads the secret
            if swap == "to a link and back":
                os.unlink(path)
                os.rename(tmp_path / "b/inputs/.aside", path)  # the same inode, size and mtime again
            assert Path(name).exists()


def test_local_file_rewritten_while_held_is_no_error(tmp_path: Path) -> None:
    """`avpipe retry` rewrites a kept upload from its own path: a new version, not an attack."""
    store = LocalStore(tmp_path / "b")
    store.put("inputs/a.mp4", b"video")
    before = store.stat("inputs/a.mp4").etag
    with store.local_file("inputs/a.mp4") as path:
        store.put("inputs/a.mp4", Path(path))
    assert store.read_bytes("inputs/a.mp4") == b"video" and store.stat("inputs/a.mp4").etag != before


def test_local_listing_never_walks_above_the_root(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    store.put("inputs/a.mp4", b"x")
    (tmp_path / "outside.mp4").write_bytes(b"y")
    for prefix in ("inputs/../../", "../", "inputs//", "./"):
        assert [info.key for info in store.list(prefix)] == []
    assert [info.key for info in store.list("inputs/")] == ["inputs/a.mp4"]
