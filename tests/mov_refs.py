"""Hostile QuickTime/MP4 files: data references (``dref``) that point outside the file.

A real movie made by ffmpeg (``moov`` after ``mdat``, so resizing ``moov`` moves no
sample offsets) has its data reference entry replaced by an alias, a resource alias or
a URL, or gains a reference-movie atom (``rmra``), as QuickTime itself could write them.
"""

from __future__ import annotations

import struct
from pathlib import Path

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"dinf"}
Box = tuple[bytes, "bytes | list[Box]"]


def parse(data: bytes) -> list[Box]:
    boxes: list[Box] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        size = size or len(data) - offset
        body = data[offset + 8:offset + size]
        boxes.append((kind, parse(body) if kind in _CONTAINERS else body))
        offset += size
    return boxes


def serialise(boxes: list[Box]) -> bytes:
    out = b""
    for kind, body in boxes:
        payload = serialise(body) if isinstance(body, list) else body
        out += struct.pack(">I4s", len(payload) + 8, kind) + payload
    return out


def _replace(boxes: list[Box], path: list[bytes], body: bytes) -> list[Box]:
    result: list[Box] = []
    for kind, inner in boxes:
        if kind == path[0]:
            inner = body if len(path) == 1 else _replace(inner if isinstance(inner, list) else [], path[1:], body)
        result.append((kind, inner))
    return result


def alias_record(directory: str, file_name: str) -> bytes:
    """A Mac OS alias record (version 2) naming ``directory``/``file_name``, as MediaInfo reads it."""
    name = file_name.encode()
    fixed = (b"\0" * 4 + b"\0\0" + struct.pack(">HH", 2, 0) + bytes([3]) + b"Mac".ljust(27, b"\0")
             + b"\0" * 12 + bytes([len(name)]) + name.ljust(63, b"\0") + b"\0" * 36)
    folder = directory.encode()
    tags = struct.pack(">HH", 0, len(folder)) + folder + (b"\0" if len(folder) % 2 else b"") + b"\xff\xff\0\0"
    record = fixed + tags
    return record[:4] + struct.pack(">H", len(record)) + record[6:]


def with_dref_entry(movie: Path, out: Path, kind: bytes, body: bytes, flags: int = 0) -> Path:
    """``movie`` with every track's data reference replaced by one ``kind`` entry."""
    entry = struct.pack(">I4sI", 12 + len(body), kind, flags) + body
    dref = struct.pack(">II", 0, 1) + entry
    boxes = parse(movie.read_bytes())
    moov = next(inner for kind_, inner in boxes if kind_ == b"moov")
    assert isinstance(moov, list)
    tracks = [(k, _replace(v, [b"mdia", b"minf", b"dinf", b"dref"], dref)) if k == b"trak" and isinstance(v, list)
              else (k, v) for k, v in moov]
    out.write_bytes(serialise([(k, tracks if k == b"moov" else v) for k, v in boxes]))
    return out


def with_reference_movie(movie: Path, out: Path, url: str) -> Path:
    """``movie`` with a reference-movie atom (``rmra/rmda/rdrf``) pointing at ``url``."""
    target = url.encode() + b"\0"
    rdrf = struct.pack(">I4sII", 20 + len(target), b"rdrf", 0, 0) + b"url " + struct.pack(">I", len(target)) + target
    rmda = struct.pack(">I4s", 8 + len(rdrf), b"rmda") + rdrf
    rmra = (b"rmra", rmda)
    boxes = parse(movie.read_bytes())
    moov = [(k, [*v, rmra] if isinstance(v, list) else v) if k == b"moov" else (k, v) for k, v in boxes]
    out.write_bytes(serialise(moov))
    return out


def with_avid_path(movie: Path, out: Path, path: str) -> Path:
    """``movie`` whose tracks carry Avid's ``minf/code/sean/RU*A`` naming ``path`` as their media."""
    rua = struct.pack(">I4s", 20 + len(path.encode()), b"RU*A") + b"\0" * 12 + path.encode()
    sean = struct.pack(">I4s", 20 + len(rua), b"sean") + b"\0" * 12 + rua
    code = b"\0" * 12 + sean

    def add(boxes: list[Box]) -> list[Box]:
        result: list[Box] = []
        for kind, inner in boxes:
            if isinstance(inner, list):
                inner = [*add(inner), (b"code", code)] if kind == b"minf" else add(inner)
            result.append((kind, inner))
        return result

    out.write_bytes(serialise(add(parse(movie.read_bytes()))))
    return out
