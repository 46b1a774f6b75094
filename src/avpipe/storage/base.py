"""The storage interface: a flat key space standing in for an S3 bucket.

Backends implement six primitives (``stat``, ``read_bytes``, ``put``, ``delete``,
``list``, ``uri``); everything else here is built on them and may be overridden where a
backend can do better (S3 copies server-side, a local store reads files in place).
Missing keys raise the built-in :class:`FileNotFoundError`.
"""

from __future__ import annotations

import abc
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from avpipe.storage.fingerprint import PROOF_SHA256, Fingerprint, HashingWriter


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str | None = None  # a version marker: S3's ETag, or size+mtime locally
    modified: float | None = None  # seconds since the epoch


class Store(abc.ABC):
    """One bucket-like store of objects under ``/``-separated keys."""

    url: str

    # --- the primitives ------------------------------------------------------------
    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size and version of ``key``; FileNotFoundError if it does not exist."""

    @abc.abstractmethod
    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        """The object's bytes, or a range of them."""

    @abc.abstractmethod
    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        """Write ``key`` atomically from bytes or a local file: readers see all of it or nothing."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; no error if it is already gone."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    @abc.abstractmethod
    def uri(self, key: str) -> str:
        """The address of ``key`` for other tools (``s3://bucket/key``, ``file:///path``)."""

    def put_if(self, key: str, data: bytes, *, version: str | None) -> bool:
        """Conditional write for claims: create ``key`` only if absent (``version=None``), or
        replace it only if its current version is ``version``. False when the condition fails."""
        raise NotImplementedError(f"{type(self).__name__} does not support conditional writes")

    # --- built on the primitives ---------------------------------------------------
    def delete_if(self, key: str, version: str) -> bool:
        """Remove ``key`` only while it is still ``version`` (compare-and-delete); True if removed.

        The default compares, then deletes; backends close the gap between the two
        (S3: ``If-Match`` on the delete; a local store renames the file aside first).
        """
        try:
            if self.stat(key).etag != version:
                return False
        except FileNotFoundError:
            return False
        self.delete(key)
        return True

    def being_written(self, key: str) -> bool:
        """True while some program still has ``key`` open for writing, where the backend can
        tell (a local file on Linux); S3 objects appear whole, so the default is False."""
        return False

    def sweep_temporary(self) -> int:
        """Remove temporary files that killed runs left behind; how many (default: none kept)."""
        return 0

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except FileNotFoundError:
            return False
        return True

    @property
    def backing(self) -> Store:
        """The store that really holds the objects (wrappers return the store they wrap)."""
        return self

    def copied_in(self, key: str) -> None:
        """Told after another backend wrote ``key`` here directly (a server-side copy)."""
        return None  # a plain store has no one to tell; NotifyingStore emits an event

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Store a local file the caller owns and will not use again (default: ``put`` it).

        A backend on the same filesystem may move the file in instead of copying it.
        """
        self.put(key, path, content_type)

    def scratch_dir(self) -> str | None:
        """Where to write files destined for :meth:`adopt` (None: the system's temp folder)."""
        return None

    def key_for_uri(self, uri: str) -> str | None:
        """The key that ``uri`` names in this store, or None when it points elsewhere."""
        return None

    def copy_to(self, key: str, target: Store, target_key: str) -> None:
        """Copy ``key`` into ``target`` (default: through a local temporary file)."""
        with self.local_file(key) as path:
            target.put(target_key, Path(path))

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[str]:
        """A local path holding the object's bytes for as long as the block runs."""
        suffix = Path(key).suffix[:16]
        handle, name = tempfile.mkstemp(prefix="avpipe-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as out:
                self.download(key, out)
            yield name
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        """Something ffmpeg and MediaInfo can open: a path, or a URL where the backend has one."""
        with self.local_file(key) as path:
            yield path

    def move(self, key: str, target_key: str) -> None:
        """Give ``key`` the name ``target_key`` in this store (default: copy, then delete)."""
        self.copy_to(key, self, target_key)
        self.delete(key)

    def compose(self, parts: Sequence[str], target: str) -> None:
        """Write ``target`` as the concatenation of ``parts``, atomically (default: streamed
        through one local temporary file; S3 joins the parts server-side)."""
        with tempfile.NamedTemporaryFile(prefix="avpipe-compose-") as joined:
            for part in parts:  # each part whole on its own: some downloads write at absolute offsets
                with self.local_file(part) as path, open(path, "rb") as source:
                    shutil.copyfileobj(source, joined, length=1024 * 1024)
            joined.flush()
            self.put(target, Path(joined.name))

    def download(self, key: str, out: IO[bytes]) -> None:
        """Stream the object into a binary file object (default: one read)."""
        out.write(self.read_bytes(key))


    def fingerprint(self, key: str, sha256: str | None = None) -> Fingerprint:
        """Size and digest of ``key`` as this store can vouch for them now.

        ``sha256`` is the digest of bytes the caller has just written (it saves reading them
        again). Wrappers ask the store they wrap; the default streams the object once.
        """
        if self.backing is not self:
            return self.backing.fingerprint(key, sha256)
        if sha256 is not None:
            return Fingerprint(self.stat(key).size, PROOF_SHA256, sha256=sha256)
        writer = HashingWriter()
        self.download(key, writer)  # type: ignore[arg-type]  # a write-only file object
        return Fingerprint(writer.size, PROOF_SHA256, sha256=writer.digest.hexdigest())
