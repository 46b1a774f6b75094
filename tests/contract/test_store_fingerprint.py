"""Every store vouches for what it holds: ``fingerprint`` gives the size and the SHA-256 (S3: its own
checksum, asked for on every write avpipe makes), and notices any change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_store_contract import store  # noqa: F401 - the fixture, parametrised over every backend

from avpipe.pipeline.notifying_store import NotifyingStore
from avpipe.storage import Store
from avpipe.storage.fingerprint import Fingerprint, hex_of_checksum

DATA = b"some bytes \x00\xff" * 1000


@pytest.mark.parametrize("how", ["bytes", "file", "adopt", "copy"])
def test_fingerprint_is_the_sha256_of_what_was_written(store: Store, tmp_path: Path, how: str) -> None:  # noqa: F811
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    if how == "bytes":
        store.put("a/k.bin", DATA)
    elif how == "file":
        store.put("a/k.bin", source)
    elif how == "adopt":
        store.adopt("a/k.bin", source)
    else:
        store.put("a/src.bin", DATA)
        store.copy_to("a/src.bin", store, "a/k.bin")
    record = store.fingerprint("a/k.bin")
    assert record.size == len(DATA) and record.sha256 == hashlib.sha256(DATA).hexdigest()
    assert record.proof in ("sha256", "s3-checksum")


def test_a_wrapper_asks_the_store_it_wraps(store: Store) -> None:  # noqa: F811
    wrapped = NotifyingStore(store, "public", lambda _event: None)
    wrapped.put("k", DATA)
    assert wrapped.fingerprint("k") == store.fingerprint("k")


def test_any_change_is_a_mismatch(store: Store) -> None:  # noqa: F811
    store.put("k", DATA)
    record = store.fingerprint("k")
    assert record.mismatch(store.fingerprint("k")) is None
    store.put("k", DATA[:-1] + b"\x00")
    assert record.mismatch(store.fingerprint("k")) is not None
    store.put("k", DATA[:-1])
    assert "size" in str(record.mismatch(store.fingerprint("k")))
    with pytest.raises(FileNotFoundError):
        store.fingerprint("gone")


def test_mismatch_compares_only_what_both_records_know() -> None:
    local = Fingerprint(10, "sha256", sha256="ab" * 32)
    assert local.mismatch(Fingerprint(10, "sha256", sha256="ab" * 32)) is None
    assert local.mismatch(Fingerprint(10, "sha256", sha256="cd" * 32)) == "sha256 differs"
    assert local.mismatch(Fingerprint(11, "sha256", sha256="ab" * 32)) == "size 11 bytes, expected 10"
    etag_only = Fingerprint(10, "s3-etag", etag="e1")
    assert etag_only.mismatch(Fingerprint(10, "s3-etag", etag="e2")) == "etag differs"
    assert etag_only.mismatch(Fingerprint(10, "sha256", sha256="ab" * 32)) == "nothing but the size could be compared"


def test_s3_checksums_as_hex() -> None:
    import base64

    digest = hashlib.sha256(b"x").digest()
    assert hex_of_checksum(base64.b64encode(digest).decode()) == digest.hex()
    assert hex_of_checksum(base64.b64encode(digest).decode() + "-3") is None  # composite: not the file's SHA-256
    assert hex_of_checksum("not base64!") is None
