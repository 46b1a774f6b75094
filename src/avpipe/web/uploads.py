"""plupload's chunked upload protocol over any :class:`~avpipe.storage.base.Store`.

Each request carries ``name``, ``chunk`` (0-based) and ``chunks`` (the count) and one
part of the file. Part *n* is stored as ``inputs/<name>.CHUNK<n>`` in the watch store
(which the pipeline ignores); a hidden ``inputs/.<name>.upload.json`` remembers the
count and the announced total size. When every part is there - in whatever order they
came, duplicates simply overwritten - they are assembled into ``inputs/<name>`` in one
atomic write and removed. A count or size that does not add up, or a size over the
limit, removes the whole upload and is reported; parts left alone longer than the
timeout are swept away. The pipeline only ever sees complete files.

Two clients sending the same name at once are never spliced: each request carries an
``owner`` (the client's ``upload_id`` field when it sends one, else its address) kept in
the upload record, and parts from another owner are refused with 409 while the first
upload is active (its newest part younger than ``CONFLICT_WINDOW_S``). A complete set of
parts whose assembly was interrupted (a crash, ``kill -9``) is assembled at start-up
(:meth:`ChunkedUploads.recover`) and whenever a client asks for the upload's status.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import posixpath
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from avpipe.errors import AvpipeError, BadInputError
from avpipe.keys import INPUTS
from avpipe.storage.base import Store
from avpipe.web.names import extension_of, safe_upload_name
from avpipe.web.settings import WebSettings

log = logging.getLogger(__name__)
_PART = re.compile(r"\.CHUNK(\d+)$")
MAX_CHUNKS = 100_000
MAX_UPLOAD_ID = 128
CONFLICT_WINDOW_S = 600.0  # an upload idle longer than this may be taken over by another client


class UploadRejected(BadInputError):
    """An upload request that is refused; ``status`` is the HTTP status to answer with."""

    status = 400


class UploadTooLarge(UploadRejected):
    status = 413


class UnsupportedKind(UploadRejected):
    status = 415


class UploadConflict(UploadRejected):
    status = 409


@dataclass(frozen=True)
class ChunkRequest:
    name: str  # already made safe
    chunk: int
    chunks: int
    total: int | None = None  # the whole file's size, when the client says it
    owner: str = ""  # who sends it: "id:<upload_id>" or "addr:<client address>"


@dataclass(frozen=True)
class ChunkResult:
    name: str
    chunk: int
    chunks: int
    stored: tuple[int, ...]
    complete: bool
    key: str | None = None  # inputs/<name> once assembled

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "chunk": self.chunk, "chunks": self.chunks, "stored": list(self.stored),
                "complete": self.complete, "key": self.key}


class Assembler(Protocol):
    def __call__(self, store: Store, parts: Sequence[str], target: str) -> None: ...


def concatenate(store: Store, parts: Sequence[str], target: str) -> None:
    """Join ``parts`` into ``target`` with one atomic write.

    ``Store.compose`` does it: S3 server-side (multipart upload of part copies, which
    appears atomically), a local store by streaming into one temporary file.
    """
    store.compose(list(parts), target)


def parse_chunk_request(fields: Mapping[str, str], fallback_name: str | None, settings: WebSettings,
                        client: str = "") -> ChunkRequest:
    """Validate plupload's form fields (``name``, ``chunk``, ``chunks``; our page adds ``total``)."""
    raw_name = fields.get("name") or fallback_name
    if not raw_name:
        raise UploadRejected("The upload has no file name.")
    name = safe_upload_name(raw_name)
    if extension_of(name) not in settings.accepted_extensions:
        raise UnsupportedKind(f"Files of this kind are not accepted ({extension_of(name) or 'no extension'}); "
                              f"accepted: {' '.join(settings.accepted_extensions)}.")
    chunks = _integer(fields, "chunks", 1)
    chunk = _integer(fields, "chunk", 0)
    total = _integer(fields, "total", -1)
    if not 1 <= chunks <= MAX_CHUNKS or not 0 <= chunk < chunks:
        raise UploadRejected(f"Chunk {chunk} of {chunks} is out of range.")
    if total > settings.max_upload_bytes:
        raise UploadTooLarge(f"The file is {total} bytes; the limit is {settings.max_upload_bytes}.")
    owner = upload_owner(fields.get("upload_id", ""), client)
    return ChunkRequest(name, chunk, chunks, total if total >= 0 else None, owner)


def upload_owner(upload_id: str, client: str) -> str:
    """Who an upload belongs to: the client's ``upload_id`` when it sends one, else its address."""
    upload_id = upload_id.strip()
    if len(upload_id) > MAX_UPLOAD_ID or not upload_id.isprintable():
        raise UploadRejected("The field 'upload_id' is too long or not printable.")
    return f"id:{upload_id}" if upload_id else f"addr:{client}"


def _integer(fields: Mapping[str, str], key: str, default: int) -> int:
    raw = fields.get(key, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise UploadRejected(f"The field {key!r} must be a whole number.")
    return int(raw)


class ChunkedUploads:
    """Receives parts, assembles complete uploads, cleans up broken and abandoned ones."""

    def __init__(self, store: Store, settings: WebSettings, *, assembler: Assembler = concatenate,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.assembler = assembler
        self.clock = clock
        self.received: Counter[tuple[str, int]] = Counter()  # (name, chunk) -> times stored
        self.temp_folder = store.scratch_dir()  # where request bodies are spooled (adopted without a copy)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def store_chunk(self, request: ChunkRequest, data: Path, size: int) -> ChunkResult:
        """Keep one part; assemble when it was the last one missing."""
        with self._lock(request.name):
            self._check_meta(request)
            stored = self.stored_parts(request.name)
            stored.pop(request.chunk, None)
            self._check_limits(request, stored, size)
            self.store.adopt(_part_key(request.name, request.chunk), data)
            self.received[(request.name, request.chunk)] += 1
            stored[request.chunk] = size
            log.info("upload %s: chunk %d/%d stored (%d bytes)", request.name, request.chunk + 1, request.chunks,
                     size)
            if len(stored) < request.chunks:
                return ChunkResult(request.name, request.chunk, request.chunks, tuple(sorted(stored)), False)
            return self._assemble(request, stored)

    def status(self, raw_name: str) -> dict[str, Any]:
        """What is stored of an upload, so a client resends only the missing parts.

        A complete set of parts (an assembly cut short by a crash) is assembled first.
        """
        name = safe_upload_name(raw_name)
        self._finish_if_complete(name)
        meta = self._meta(name) or {}
        stored = self.stored_parts(name)
        chunks = meta.get("chunks")
        missing = [i for i in range(chunks) if i not in stored] if isinstance(chunks, int) else []
        return {"name": name, "chunks": chunks, "total": meta.get("total"),
                "stored": sorted(stored), "missing": missing, "sizes": {str(i): s for i, s in sorted(stored.items())},
                "exists": self.store.exists(INPUTS + name)}

    def recover(self) -> list[str]:
        """At start-up: assemble every upload whose parts all arrived (a crash cut its assembly short)."""
        names = {name for info in self.store.list(INPUTS) if (name := _upload_of(info.key)) is not None}
        return [name for name in sorted(names) if self._finish_if_complete(name)]

    def _finish_if_complete(self, name: str) -> bool:
        with self._lock(name):
            meta = self._meta(name)
            chunks = meta.get("chunks") if meta else None
            if not isinstance(chunks, int) or chunks < 1:
                return False
            stored = self.stored_parts(name)
            if sorted(stored) != list(range(chunks)):
                return False
            total = meta.get("total") if meta else None
            request = ChunkRequest(name, chunks - 1, chunks, total if isinstance(total, int) else None)
            try:
                self._assemble(request, stored)
            except UploadConflict:
                return False
            log.info("upload %s: a complete set of parts was found and assembled", name)
            return True

    def cancel(self, raw_name: str, owner: str = "") -> int:
        """Remove every stored part of an upload; the number of parts removed.

        Another client's upload that is still active is refused (409), not removed.
        """
        name = safe_upload_name(raw_name)
        with self._lock(name):
            meta = self._meta(name) or {}
            if owner and meta.get("owner", owner) != owner and self._active(name):
                raise UploadConflict("Another upload of this file name is in progress; it was left alone.")
            return self._discard(name, "cancelled")

    def sweep(self) -> list[str]:
        """Remove uploads none of whose parts changed within the timeout."""
        newest: dict[str, float] = {}
        for info in self.store.list(INPUTS):
            name = _upload_of(info.key)
            if name is not None:
                newest[name] = max(newest.get(name, 0.0), info.modified or 0.0)
        cutoff = self.clock() - self.settings.upload_timeout_s
        abandoned = [name for name, modified in newest.items() if modified < cutoff]
        swept = []
        for name in abandoned:
            try:
                with self._lock(name):
                    self._discard(name, "abandoned: no part arrived within the timeout")
            except (OSError, AvpipeError) as exc:  # one hostile or stuck name must not stop the sweep
                log.warning("could not sweep the abandoned upload %a: %s", name, exc)
                continue
            swept.append(name)
        return swept

    def stored_parts(self, name: str) -> dict[int, int]:
        """Part number -> size of every stored part of ``name``."""
        prefix = f"{INPUTS}{name}.CHUNK"
        parts = {}
        for info in self.store.list(prefix):
            match = _PART.search(info.key)
            if match and info.key == _part_key(name, int(match.group(1))):
                parts[int(match.group(1))] = info.size
        return parts

    # --- internals -------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        """One request at a time per upload name: across threads, and across server processes
        (``serve --web-workers N``) with a lock file in the store's scratch folder."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if self.temp_folder is None:
                yield
                return
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
            with open(os.path.join(self.temp_folder, f"upload-lock-{digest}"), "a+b") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _check_meta(self, request: ChunkRequest) -> None:
        meta = self._meta(request.name)
        if meta is not None and meta.get("owner", request.owner) != request.owner:
            if self._active(request.name):
                raise UploadConflict("Another upload of this file name is in progress; try again later or "
                                     "rename the file.")
            self._discard(request.name, "taken over by a new upload after it stalled")
            meta = None
        if meta is None:
            body = {"chunks": request.chunks, "total": request.total, "started": self.clock(),
                    "owner": request.owner}
            self.store.put(_meta_key(request.name), json.dumps(body).encode(), content_type="application/json")
        elif meta.get("chunks") != request.chunks or meta.get("total") != request.total:
            self._discard(request.name, "chunk count or size changed mid-upload")
            raise UploadConflict("The chunk count or file size changed during the upload; it was discarded. "
                                 "Start it again.")

    def _active(self, name: str) -> bool:
        """Whether a part of ``name`` arrived within the conflict window."""
        prefix = f"{INPUTS}{name}.CHUNK"
        stamps = [info.modified or 0.0 for info in self.store.list(prefix)]
        meta_stamp = (self._meta(name) or {}).get("started", 0.0)
        newest = max([*stamps, meta_stamp if isinstance(meta_stamp, (int, float)) else 0.0])
        return self.clock() - newest < CONFLICT_WINDOW_S

    def _check_limits(self, request: ChunkRequest, others: dict[int, int], size: int) -> None:
        running = sum(others.values()) + size
        if running > self.settings.max_upload_bytes:
            self._discard(request.name, "over the size limit")
            raise UploadTooLarge(f"The upload exceeds the limit of {self.settings.max_upload_bytes} bytes.")
        if any(index >= request.chunks for index in others):
            self._discard(request.name, "parts beyond the announced count")
            raise UploadConflict("The upload has more parts than announced; it was discarded. Start it again.")

    def _assemble(self, request: ChunkRequest, stored: dict[int, int]) -> ChunkResult:
        total = sum(stored.values())
        if request.total is not None and total != request.total:
            self._discard(request.name, f"size mismatch ({total} != {request.total})")
            raise UploadConflict(f"The parts add up to {total} bytes, not the announced {request.total}; "
                                 "the upload was discarded. Start it again.")
        target = INPUTS + request.name
        self.assembler(self.store, [_part_key(request.name, i) for i in range(request.chunks)], target)
        self._discard(request.name, None)
        log.info("upload %s: assembled from %d chunk(s), %d bytes", request.name, request.chunks, total)
        return ChunkResult(request.name, request.chunk, request.chunks, tuple(range(request.chunks)), True, target)

    def _discard(self, name: str, reason: str | None) -> int:
        parts = self.stored_parts(name)
        for index in parts:
            self.store.delete(_part_key(name, index))
        self.store.delete(_meta_key(name))
        if reason is not None:
            log.warning("upload %s removed (%d part(s) stored): %s", name, len(parts), reason)
        return len(parts)

    def _meta(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.store.read_bytes(_meta_key(name)))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def _part_key(name: str, index: int) -> str:
    return f"{INPUTS}{name}.CHUNK{index}"


def _meta_key(name: str) -> str:
    folder, base = posixpath.split(name)
    return INPUTS + posixpath.join(folder, f".{base}.upload.json")


def _upload_of(key: str) -> str | None:
    """The upload name a part or upload record belongs to (None for other keys)."""
    relative = key[len(INPUTS):]
    folder, base = posixpath.split(relative)
    if base.startswith(".") and base.endswith(".upload.json"):
        return posixpath.join(folder, base[1:-len(".upload.json")])
    match = _PART.search(relative)
    return relative[: match.start()] if match else None
