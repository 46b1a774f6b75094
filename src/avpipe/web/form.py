"""Streaming ``multipart/form-data`` for the chunk POST, on python-multipart's parser.

python-multipart does the parsing (the maintained parser Starlette itself uses); this
module only decides where the bytes go: text fields stay in memory up to a small limit,
the first file field is written to a temporary file in ``folder`` as it arrives (so a
chunk never sits in memory), and the body is read with a time limit per read, so a
client that stops sending is dropped instead of holding the request for ever.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from avpipe.errors import BadInputError

MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
TEMP_PREFIX = "avpipe-upload-"
THREAD_WRITE_BYTES = 32 * 1024


class BodyTimeout(BadInputError):
    """The client stopped sending the request body (answered 408, connection closed)."""


class PayloadTooLarge(BadInputError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The upload is larger than the limit of {limit} bytes.")


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None  # the temporary file holding the file field; the caller removes it
    file_size: int = 0
    file_name: str | None = None


def boundary_of(content_type: str) -> bytes:
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadInputError("The upload must be sent as multipart/form-data.")
    return boundary


class _Collector:
    """python-multipart's callbacks: where each part's bytes go."""

    def __init__(self, folder: str | None, file_limit: int) -> None:
        self.form = FormData()
        self.folder, self.file_limit = folder, file_limit
        self.header_name, self.headers, self.header_bytes = b"", {}, 0  # type: tuple[bytes, dict[bytes, bytes], int]
        self.value = bytearray()
        self.kind: str | None = None  # "field" name, or None for a part that is skipped
        self.out: IO[bytes] | None = None

    def on_part_begin(self) -> None:
        self.headers, self.value, self.kind = {}, bytearray(), None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]
        self._count(end - start)

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.headers[self.header_name.lower()] = self.headers.get(self.header_name.lower(), b"") + data[start:end]
        self._count(end - start)

    def on_header_end(self) -> None:
        self.header_name = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise BadInputError("A multipart field has no name.")
        self.kind = name.decode("utf-8", errors="replace")
        if b"filename" in options and self.form.file_path is None:
            self.form.file_name = options[b"filename"].decode("utf-8", errors="replace")
            handle = tempfile.NamedTemporaryFile(prefix=TEMP_PREFIX, dir=self.folder, delete=False)  # noqa: SIM115
            self.out, self.form.file_path = handle, Path(handle.name)
        elif b"filename" in options:
            self.kind = None  # a second file: ignored

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.form.file_size += end - start
            if self.form.file_size > self.file_limit:
                raise PayloadTooLarge(self.file_limit)
            self.out.write(data[start:end])
        elif self.kind is not None:
            self.value += data[start:end]
            if len(self.value) > MAX_FIELD_BYTES:
                raise BadInputError("A form field is too long.")

    def on_part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        elif self.kind is not None:
            self.form.fields[self.kind] = self.value.decode("utf-8", errors="replace")

    def _count(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > MAX_HEADER_BYTES:
            raise BadInputError("The multipart headers are too long.")

    def discard(self) -> None:
        if self.out is not None:
            self.out.close()
        if self.form.file_path is not None:
            self.form.file_path.unlink(missing_ok=True)


async def read_form(body: AsyncIterator[bytes], content_type: str, *, file_limit: int, folder: str | None,
                    read_timeout_s: float) -> FormData:
    """Parse a streamed body; at most one file field is kept (the first)."""
    collector = _Collector(folder, file_limit)
    callbacks = {name: getattr(collector, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
        "on_part_data", "on_part_end")}
    parser = MultipartParser(boundary_of(content_type), callbacks)  # type: ignore[arg-type]
    try:
        try:
            await _feed(parser, body, read_timeout_s)
        except MultipartParseError as exc:
            raise BadInputError("The multipart upload is malformed.") from exc
        if collector.out is not None or parser.state.name != "END":
            raise BadInputError("The upload ended before all of its data arrived.")
    except BaseException:
        collector.discard()
        raise
    return collector.form


async def _arriving(body: AsyncIterator[bytes], read_timeout_s: float) -> AsyncIterator[bytes]:
    """The body's blocks as they come; TimeoutError when none arrives within ``read_timeout_s``."""
    while True:
        try:
            with anyio.fail_after(read_timeout_s):  # never around the yield: only the wait for a block
                data = await body.__anext__()
        except StopAsyncIteration:
            return
        yield data


async def _feed(parser: MultipartParser, body: AsyncIterator[bytes], read_timeout_s: float) -> None:
    try:
        async for data in _arriving(body, read_timeout_s):
            if len(data) >= THREAD_WRITE_BYTES:  # big blocks go to disk off the event loop
                await anyio.to_thread.run_sync(parser.write, data)
            elif data:
                parser.write(data)
    except TimeoutError as exc:
        raise BodyTimeout("The upload stopped arriving; the request was dropped.") from exc
    parser.finalize()


async def spool_body(body: AsyncIterator[bytes], *, limit: int, folder: str | None, read_timeout_s: float
                     ) -> tuple[Path, int, bool]:
    """A raw body into a temporary file: (path, size, complete?). A client that goes away or
    stalls leaves what it sent (complete False); more than ``limit`` bytes is refused."""
    handle = tempfile.NamedTemporaryFile(prefix=TEMP_PREFIX, dir=folder, delete=False)  # noqa: SIM115
    path, size, complete = Path(handle.name), 0, True
    try:
        with handle:
            try:
                async for data in _arriving(body, read_timeout_s):
                    size += len(data)
                    if size > limit:
                        raise PayloadTooLarge(limit)
                    await anyio.to_thread.run_sync(handle.write, data)
            except (TimeoutError, ClientDisconnect):
                complete = False
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, complete


def sweep_stale(folder: str | None, older_than_s: float, now: float | None = None) -> int:
    """Remove temporary upload files left by a killed process; the number removed."""
    root = Path(folder or tempfile.gettempdir())
    cutoff = (now or time.time()) - older_than_s
    removed = 0
    for path in root.glob(TEMP_PREFIX + "*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed
