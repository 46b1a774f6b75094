"""A folder standing in for a bucket: keys are relative paths below ``root``."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from avpipe.keys import check_key
from avpipe.storage.base import ObjectInfo, Store
from avpipe.storage.fingerprint import PROOF_SHA256, Fingerprint, sha256_stream

TEMP_MARK = ".avpipe-tmp-"


class LocalStore(Store):
    """Objects are files under ``root``; writes go to a hidden temporary file, then rename."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    def path(self, key: str) -> Path:
        """The file behind ``key`` (the key is checked: no ``..``, no absolute paths)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def stat(self, key: str) -> ObjectInfo:
        path = self.path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise
        except NotADirectoryError as exc:
            raise FileNotFoundError(key) from exc
        if not path.is_file():
            raise FileNotFoundError(key)
        # every write is a new file (temp + rename), so the inode joins size and time in the version
        return ObjectInfo(key, st.st_size, f"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}", st.st_mtime)

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        with self.path(key).open("rb") as handle:
            handle.seek(start)
            return handle.read() if length is None else handle.read(length)

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=TEMP_MARK, dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                if isinstance(source, bytes):
                    out.write(source)
                else:
                    with Path(source).open("rb") as src:
                        copy_file(src, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def put_if(self, key: str, data: bytes, *, version: str | None) -> bool:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._key_lock(target):
            if version is None:
                if target.exists():
                    return False
            else:
                try:
                    current = self.stat(key).etag
                except FileNotFoundError:
                    return False
                if current != version:
                    return False
            self.put(key, data)
        return True

    @contextlib.contextmanager
    def _key_lock(self, target: Path) -> Iterator[None]:
        """An exclusive lock (across threads and processes) for one key's conditional write."""
        lock_path = target.parent / f"{TEMP_MARK}lock-{target.name}"
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def move(self, key: str, target_key: str) -> None:
        """A rename: the bytes are not copied, and the new name appears whole at once."""
        source, target = self.path(key), self.path(target_key)
        if not source.is_file():
            raise FileNotFoundError(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self._prune(source.parent)

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Move ``path`` in when it is on this store's filesystem (no copy), else ``put`` it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.stat(path).st_dev != os.stat(target.parent).st_dev:
            self.put(key, path, content_type)
            return
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())  # as durable as a put
        os.chmod(path, 0o644)
        os.replace(path, target)

    def scratch_dir(self) -> str:
        """A hidden folder in the store (never listed) for files that :meth:`adopt` moves in."""
        folder = self.root / f"{TEMP_MARK}scratch"
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def delete(self, key: str) -> None:
        path = self.path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._prune(path.parent)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        keys = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_MARK)]  # scratch space
            for filename in filenames:
                if filename.startswith(TEMP_MARK):
                    continue
                key = Path(dirpath, filename).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        for key in sorted(keys):
            with contextlib.suppress(FileNotFoundError):
                yield self.stat(key)

    def uri(self, key: str) -> str:
        return self.path(key).as_uri()

    def key_for_uri(self, uri: str) -> str | None:
        """The key a ``file://`` URI of this store points at, or None if it is elsewhere."""
        root = self.root.as_uri() + "/"
        if not uri.startswith(root):
            return None
        from urllib.parse import unquote

        return unquote(uri[len(root) :])

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[str]:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield str(path)

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        with self.local_file(key) as path:
            yield path

    def copy_to(self, key: str, target: Store, target_key: str) -> None:
        target.put(target_key, self.path(key))

    def download(self, key: str, out: IO[bytes]) -> None:
        with self.path(key).open("rb") as src:
            shutil.copyfileobj(src, out, length=1024 * 1024)

    def fingerprint(self, key: str, sha256: str | None = None) -> Fingerprint:
        """The file's size and SHA-256 (read once, from the open file; or ``sha256`` as given)."""
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest = sha256 if sha256 is not None else sha256_stream(handle)
        return Fingerprint(size, PROOF_SHA256, sha256=digest)

    def _prune(self, folder: Path) -> None:
        """Remove folders emptied by a delete, up to the root (like S3, which has no folders)."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def copy_file(source: IO[bytes], out: IO[bytes]) -> None:
    """Copy one open file into another inside the kernel where it can (``copy_file_range``:
    no bytes through this process, a reflink on filesystems that share blocks), else by chunks."""
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is not None:
        try:
            while copy_range(source.fileno(), out.fileno(), 64 * 1024 * 1024):
                pass
            return
        except OSError:  # not supported between these two files: continue the usual way
            pass
    shutil.copyfileobj(source, out, length=1024 * 1024)
