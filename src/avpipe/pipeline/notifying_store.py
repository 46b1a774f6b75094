"""A store wrapper that emits ObjectCreated for each write, as S3 notifications do."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from avpipe.pipeline.events import Event, ObjectCreated, StoreName
from avpipe.storage.base import ObjectInfo, Store


class NotifyingStore(Store):
    """Delegates to ``inner``; after every successful ``put`` it emits an ObjectCreated event."""

    def __init__(self, inner: Store, name: StoreName, emit: Callable[[Event], None]) -> None:
        self.inner = inner
        self.name: StoreName = name
        self.emit = emit
        self.url = inner.url

    def stat(self, key: str) -> ObjectInfo:
        return self.inner.stat(key)

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        return self.inner.read_bytes(key, start, length)

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        self.inner.put(key, source, content_type)
        self.emit(ObjectCreated(self.name, key))

    def adopt(self, key: str, path: Path, content_type: str | None = None) -> None:
        self.inner.adopt(key, path, content_type)
        self.emit(ObjectCreated(self.name, key))

    def scratch_dir(self) -> str | None:
        return self.inner.scratch_dir()

    @property
    def backing(self) -> Store:
        return self.inner.backing

    def copied_in(self, key: str) -> None:
        self.emit(ObjectCreated(self.name, key))

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def delete_if(self, key: str, version: str) -> bool:
        return self.inner.delete_if(key, version)

    def being_written(self, key: str) -> bool:
        return self.inner.being_written(key)

    def sweep_temporary(self) -> int:
        return self.inner.sweep_temporary()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def uri(self, key: str) -> str:
        return self.inner.uri(key)

    def key_for_uri(self, uri: str) -> str | None:
        return self.inner.key_for_uri(uri)

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        with self.inner.readable(key) as source:
            yield source

    @contextlib.contextmanager
    def local_file(self, key: str) -> Iterator[str]:
        with self.inner.local_file(key) as path:
            yield path

    def copy_to(self, key: str, target: Store, target_key: str) -> None:
        self.inner.copy_to(key, target, target_key)

    def put_if(self, key: str, data: bytes, *, version: str | None) -> bool:
        written = self.inner.put_if(key, data, version=version)
        if written:
            self.emit(ObjectCreated(self.name, key))
        return written

    def move(self, key: str, target_key: str) -> None:
        self.inner.move(key, target_key)
        self.emit(ObjectCreated(self.name, target_key))

    def compose(self, parts: Sequence[str], target: str) -> None:
        self.inner.compose(parts, target)
        self.emit(ObjectCreated(self.name, target))

    def download(self, key: str, out: IO[bytes]) -> None:
        self.inner.download(key, out)
