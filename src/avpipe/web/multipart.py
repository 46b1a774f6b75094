"""A streaming ``multipart/form-data`` reader (the standard library's ``cgi`` is gone in 3.13).

Text fields are kept in memory up to a small limit; the one file field is written to a
local temporary file as it arrives, so a large chunk never sits in memory and the
number of bytes read is bounded by the request's Content-Length.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from email.message import Message
from email.utils import collapse_rfc2231_value
from pathlib import Path
from typing import Protocol

from avpipe.errors import BadInputError

BLOCK = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    file_field: str | None = None
    file_path: Path | None = None  # the temporary file holding the file field; caller removes it
    file_size: int = 0
    file_name: str | None = None


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type, or BadInputError."""
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise BadInputError("The upload must be sent as multipart/form-data.")
    return boundary.encode("latin-1")


class _Reader:
    """Buffered reads from the request body that never go past Content-Length."""

    def __init__(self, stream: Readable, length: int) -> None:
        self.stream, self.left, self.buf = stream, length, b""

    def fill(self) -> bool:
        if self.left <= 0:
            return False
        data = self.stream.read(min(BLOCK, self.left))
        if not data:
            raise BadInputError("The upload ended before all of its data arrived.")
        self.left -= len(data)
        self.buf += data
        return True

    def until(self, marker: bytes, limit: int) -> bytes:
        """Everything up to ``marker`` (consumed, not returned), at most ``limit`` bytes."""
        while (index := self.buf.find(marker)) < 0:
            if len(self.buf) > limit or not self.fill():
                raise BadInputError("The multipart upload is malformed.")
        head, self.buf = self.buf[:index], self.buf[index + len(marker):]
        return head

    def stream_until(self, marker: bytes, out: Writable, limit: int) -> int:
        """Copy up to ``marker`` into ``out``; BadInputError past ``limit`` bytes."""
        written = 0
        while (index := self.buf.find(marker)) < 0:
            keep = len(marker)
            if len(self.buf) > keep:
                written += out.write(self.buf[:-keep])
                self.buf = self.buf[-keep:]
            if written > limit:
                raise PayloadTooLarge(limit)
            if not self.fill():
                raise BadInputError("The multipart upload is malformed.")
        written += out.write(self.buf[:index])
        self.buf = self.buf[index + len(marker):]
        if written > limit:
            raise PayloadTooLarge(limit)
        return written


class PayloadTooLarge(BadInputError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The upload is larger than the limit of {limit} bytes.")


def read_form(stream: Readable, length: int, content_type: str, *, file_limit: int, temp_dir: str | None = None
              ) -> FormData:
    """Parse the body; at most one file field is kept (the first)."""
    boundary = boundary_of(content_type)
    reader = _Reader(stream, length)
    reader.until(b"--" + boundary, MAX_HEADER_BYTES)
    form = FormData()
    try:
        while _next_part(reader):
            _read_part(reader, b"\r\n--" + boundary, form, file_limit, temp_dir)
    except BaseException:
        if form.file_path is not None:
            form.file_path.unlink(missing_ok=True)
        raise
    return form


def _next_part(reader: _Reader) -> bool:
    while len(reader.buf) < 2 and reader.fill():
        pass
    if reader.buf.startswith(b"--"):
        return False
    if not reader.buf.startswith(b"\r\n"):
        raise BadInputError("The multipart upload is malformed.")
    reader.buf = reader.buf[2:]
    return True


def _read_part(reader: _Reader, delimiter: bytes, form: FormData, file_limit: int, temp_dir: str | None) -> None:
    headers = _headers(reader.until(b"\r\n\r\n", MAX_HEADER_BYTES))
    disposition = Message()
    disposition["content-disposition"] = headers.get("content-disposition", "")
    name = disposition.get_param("name", header="content-disposition")
    filename = disposition.get_param("filename", header="content-disposition")
    if not isinstance(name, str):
        raise BadInputError("A multipart field has no name.")
    if filename is None or form.file_path is not None:
        value = reader.until(delimiter, MAX_FIELD_BYTES)
        if filename is None:
            form.fields[name] = value.decode("utf-8", errors="replace")
        return
    handle = tempfile.NamedTemporaryFile(prefix="avpipe-upload-", dir=temp_dir, delete=False)  # noqa: SIM115
    form.file_path, form.file_field = Path(handle.name), name
    form.file_name = collapse_rfc2231_value(filename)
    with handle:
        form.file_size = reader.stream_until(delimiter, handle, file_limit)


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers

