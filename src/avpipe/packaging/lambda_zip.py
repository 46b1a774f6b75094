"""Reproducible zip archives for Lambda: sorted entries, fixed timestamps, world-readable files.

Lambda runs code as a user that does not own the files, so every entry is readable by all
and executables keep their execute bits.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from avpipe.packaging.limits import ArtefactSize

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def _info(arcname: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def tree_entries(root: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """``(name in the archive, file)`` for every file under ``root``, sorted, caches left out."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_dir() or _SKIPPED_DIRS.intersection(relative.parts) or path.suffix in _SKIPPED_SUFFIXES:
            continue
        yield prefix + relative.as_posix(), path


class LambdaZip:
    """A zip being written for Lambda; use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._names: set[str] = set()

    def __enter__(self) -> LambdaZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    def add_file(self, arcname: str, source: Path) -> None:
        executable = bool(source.stat().st_mode & stat.S_IXUSR)
        with source.open("rb") as handle:
            self.add_stream(arcname, handle, executable=executable)

    def add_stream(self, arcname: str, stream: IO[bytes], *, executable: bool = False) -> None:
        if arcname in self._names:
            return  # the first copy wins (e.g. a package also present in a dependency)
        self._names.add(arcname)
        with self._zip.open(_info(arcname, executable), "w", force_zip64=True) as target:
            shutil.copyfileobj(stream, target, 1024 * 1024)

    def add_tree(self, entries: Iterable[tuple[str, Path]]) -> None:
        for arcname, source in entries:
            self.add_file(arcname, source)


def measure(name: str, path: Path) -> ArtefactSize:
    """Zipped and unzipped size of a built archive."""
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return ArtefactSize(name=name, zipped=path.stat().st_size, unzipped=unzipped)
