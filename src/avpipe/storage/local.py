"""A folder standing in for a bucket: keys are relative paths below ``root``."""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import shutil
import stat as stat_module
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from avpipe.errors import BadInputError, UploadChangedError
from avpipe.keys import check_key
from avpipe.storage.base import ObjectInfo, Store
from avpipe.storage.fingerprint import PROOF_SHA256, Fingerprint, sha256_stream
from avpipe.storage.leases import open_for_writing

log = logging.getLogger(__name__)
TEMP_MARK = ".avpipe-tmp-"
LOCK_NAME = f"{TEMP_MARK}lock"  # one per folder, whatever the length of the names in it
TEMP_MAX_AGE_S = 600.0  # a temporary file untouched this long is a killed run's leftover
LINK_REFUSED = "The upload is a link (symbolic or hard) to another file; only plain files are processed."


class LocalStore(Store):
    """Objects are files under ``root``; writes go to a hidden temporary file, then rename.

    Other people put files in a watch folder, so by default a file is read only if it is
    plainly inside the store: symbolic links, files with a second hard link and linked
    sub-folders are refused. ``trusted=True`` (the public store, which only avpipe writes)
    follows them, so an operator may link a folder to another disk or snapshot the data
    folder with hard links.
    """

    def __init__(self, root: str | os.PathLike[str], *, trusted: bool = False) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)
        self.trusted = trusted

    def path(self, key: str) -> Path:
        """The file behind ``key`` (the key is checked: no ``..``, no absolute paths, and lock
        and scratch files are nobody's object)."""
        parts = check_key(key).split("/")
        if any(part.startswith(TEMP_MARK) for part in parts):
            raise FileNotFoundError(key)
        return self.root.joinpath(*parts)

    def stat(self, key: str) -> ObjectInfo:
        """Size and version; in an untrusted store of the link itself, not followed (reads refuse it)."""
        path = self.path(key)
        try:
            st = path.stat() if self.trusted else path.lstat()
        except NotADirectoryError as exc:
            raise FileNotFoundError(key) from exc
        if not (stat_module.S_ISREG(st.st_mode) or stat_module.S_ISLNK(st.st_mode)):
            raise FileNotFoundError(key)
        return _info(key, st)

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        with self._open(key) as handle:
            handle.seek(start)
            return handle.read() if length is None else handle.read(length)

    @contextlib.contextmanager
    def _open(self, key: str) -> Iterator[io.BufferedReader]:
        """The file opened for reading without following links: a symbolic link, a file with a
        second hard link, or one reached through a linked folder is refused (BadInputError)."""
        path = self.path(key)
        nofollow = 0 if self.trusted else getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            if path.is_symlink():
                raise BadInputError(LINK_REFUSED) from exc
            if isinstance(exc, NotADirectoryError):
                raise FileNotFoundError(key) from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(fd)
            if not stat_module.S_ISREG(st.st_mode):
                raise FileNotFoundError(key)
            if not self.trusted and (st.st_nlink > 1 or os.path.realpath(path) != str(path)):
                raise BadInputError(LINK_REFUSED)
            yield handle

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        target = self._writable(key)
        handle, temp = tempfile.mkstemp(prefix=f"{TEMP_MARK}{os.getpid()}-", dir=target.parent)
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

    def _writable(self, key: str) -> Path:
        """The path for a new ``key``, its folder made; a folder that leads out of the store is refused."""
        target = self.path(key)
        if not self.trusted and os.path.realpath(target.parent) != str(target.parent):  # checked before mkdir
            raise BadInputError("The file's folder is a link to another place; only plain folders are used.")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def put_if(self, key: str, data: bytes, *, version: str | None) -> bool:
        target = self._writable(key)
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
        """An exclusive lock (across threads and processes) for conditional writes in one folder
        (one lock file per folder: never one per key, so no name is too long for it)."""
        lock_path = target.parent / LOCK_NAME
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def move(self, key: str, target_key: str) -> None:
        """A rename: the bytes are not copied, and the new name appears whole at once."""
        source, target = self.path(key), self._writable(target_key)
        if not source.is_file():
            raise FileNotFoundError(key)
        os.replace(source, target)
        self._prune(source.parent)

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Move ``path`` in when it is on this store's filesystem (no copy), else ``put`` it."""
        target = self._writable(key)
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

    def delete_if(self, key: str, version: str) -> bool:
        """Compare-and-delete without a window: the file is renamed aside (atomic), its version
        read from the renamed file, and a file that is not ``version`` is put back (unless an even
        newer one has arrived meanwhile, which then stays)."""
        path = self.path(key)
        aside = path.with_name(f"{TEMP_MARK}{os.getpid()}-del-{os.urandom(6).hex()}")
        try:
            os.rename(path, aside)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if _info(key, os.lstat(aside)).etag == version:
            os.unlink(aside)
            self._prune(path.parent)
            return True
        with contextlib.suppress(FileExistsError):
            os.link(aside, path, follow_symlinks=False)  # the same inode and times: the same version
        os.unlink(aside)
        return False

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every file under ``prefix``, whatever its name (a name no upload may have is still
        listed, and refused when it is handled); linked folders are not followed, lock and
        scratch files are never listed."""
        found = []
        folders = prefix.split("/")[:-1]  # walk only below the prefix's folder, never above the root
        plain = all(part not in ("", ".", "..") and not part.startswith(TEMP_MARK) for part in folders)
        start = self.root.joinpath(*folders) if plain else self.root
        for dirpath, dirnames, filenames in os.walk(start, followlinks=self.trusted):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_MARK)]
            for filename in filenames:
                key = os.path.relpath(os.path.join(dirpath, filename), self.root).replace(os.sep, "/")
                if not filename.startswith(TEMP_MARK) and key.startswith(prefix):
                    found.append(key)
        for key in sorted(found):
            try:
                st = os.stat(os.path.join(self.root, key), follow_symlinks=self.trusted)
            except OSError:  # gone meanwhile
                continue
            if stat_module.S_ISREG(st.st_mode) or stat_module.S_ISLNK(st.st_mode):
                yield _info(key, st)

    def being_written(self, key: str) -> bool:
        """True while another process has the file open for writing (Linux leases: see
        :mod:`avpipe.storage.leases`); False where the platform cannot tell."""
        return open_for_writing(self.path(key))

    def sweep_temporary(self, max_age_s: float = TEMP_MAX_AGE_S) -> int:
        """Remove temporary files a killed run left: those of a process that is gone at once,
        others once untouched for ``max_age_s``. Lock files stay (removing a held lock breaks it)."""
        removed = 0
        now = time.time()
        for dirpath, _dirs, filenames in os.walk(self.root, topdown=False):
            inside = TEMP_MARK in os.path.relpath(dirpath, self.root)
            for name in filenames:
                if name == LOCK_NAME or not (inside or name.startswith(TEMP_MARK)):
                    continue
                path = os.path.join(dirpath, name)
                with contextlib.suppress(OSError):
                    if _owner_gone(name) or now - os.lstat(path).st_mtime > max_age_s:
                        os.unlink(path)
                        removed += 1
            if inside and dirpath != str(self.root):
                with contextlib.suppress(OSError):
                    if now - os.lstat(dirpath).st_mtime > max_age_s:
                        os.rmdir(dirpath)  # only when empty
        if removed:
            log.info("removed %d temporary file(s) left in %s by earlier runs", removed, self.root)
        return removed

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
        """The file's path for tools (ffmpeg, MediaInfo). A link is refused before they get it,
        and afterwards the name is checked again: a file swapped for a link while they read it
        (and swapped back) is refused too, since the swap changes the inode's ctime."""
        path = self.path(key)
        with self._open(key) as handle:
            before = os.fstat(handle.fileno())
            yield str(path)
            if self.trusted:
                return
            after = os.fstat(handle.fileno())
            try:
                now = os.lstat(path)
            except FileNotFoundError:
                return  # removed meanwhile
            if after.st_nlink > 1 or stat_module.S_ISLNK(now.st_mode):
                raise BadInputError(LINK_REFUSED)
            if now.st_ino == after.st_ino and after.st_ctime_ns != before.st_ctime_ns:  # moved away and back
                raise UploadChangedError("The upload was moved while it was read; it is processed again.")

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        with self.local_file(key) as path:
            yield path

    def copy_to(self, key: str, target: Store, target_key: str) -> None:
        with self._open(key) as source:  # copied from the checked open file, not the name again
            target.put(target_key, Path(_fd_path(source.fileno(), self.path(key))))

    def download(self, key: str, out: IO[bytes]) -> None:
        with self._open(key) as src:
            shutil.copyfileobj(src, out, length=1024 * 1024)

    def fingerprint(self, key: str, sha256: str | None = None) -> Fingerprint:
        """The file's size and SHA-256 (read once, from the open file; or ``sha256`` as given)."""
        with self._open(key) as handle:  # a link in the watch store is refused, as for every read
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


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    # every write is a new file (temp + rename), so the inode joins size and time in the version
    return ObjectInfo(key, st.st_size, f"{st.st_size:x}-{st.st_mtime_ns:x}-{st.st_ino:x}", st.st_mtime)


def _fd_path(fd: int, fallback: Path) -> str:
    """A name for an open file that cannot be swapped underneath (Linux's /proc/self/fd)."""
    proc = f"/proc/self/fd/{fd}"
    return proc if os.path.exists(proc) else str(fallback)


def _owner_gone(name: str) -> bool:
    """True for a temporary file named after a process (``.avpipe-tmp-<pid>-…``) that has ended."""
    pid = name[len(TEMP_MARK):].split("-", 1)[0] if name.startswith(TEMP_MARK) else ""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
