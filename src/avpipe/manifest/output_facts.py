"""What a player needs to know about a published output: its codecs string and measured bitrates.

Read from the MP4's ``moov`` box (a few ranged reads at the start of the file, where avpipe's
and MediaConvert's outputs keep it): the codecs string (RFC 6381, as ``<source type=...>`` and
Media Source Extensions want it) comes from the ``avcC`` and ``esds`` boxes, each track's
bitrate from its sample sizes (``stsz``) over its duration (``mdhd``). :func:`mp4_tracks` is the
pure parser; :func:`describe_output` the thin I/O around it.
"""

from __future__ import annotations

import logging
import posixpath
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from avpipe.storage.base import Store

log = logging.getLogger(__name__)
MAX_MOOV_BYTES = 64 * 1024 * 1024
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
_SAMPLE_ENTRY_BYTES = {b"avc1": 78, b"avc3": 78, b"mp4a": 28}  # fixed fields before the child boxes


@dataclass(frozen=True)
class TrackFacts:
    handler: str  # "vide" | "soun" | ...
    codec: str | None  # RFC 6381 form: "avc1.640028", "mp4a.40.2"
    sample_bytes: int
    duration_s: float | None

    @property
    def bitrate(self) -> int | None:
        return round(self.sample_bytes * 8 / self.duration_s) if self.duration_s else None


@dataclass(frozen=True)
class OutputFacts:
    codecs: str | None = None
    bitrate: int | None = None
    video_bitrate: int | None = None
    audio_bitrate: int | None = None


def describe_output(store: Store, key: str, size: int, duration_s: float | None) -> OutputFacts:
    """Codecs and measured bitrates of a published output (empty facts when they cannot be read)."""
    overall = round(size * 8 / duration_s) if duration_s else None
    if posixpath.splitext(key)[1].lower() == ".mp3":
        return OutputFacts(codecs="mp3", bitrate=overall)
    try:
        moov = read_moov(store, key, size)
        tracks = mp4_tracks(moov) if moov is not None else []
    except (OSError, ValueError, IndexError, struct.error) as exc:
        log.warning("could not read the codecs of %s: %s", key, exc)
        return OutputFacts(bitrate=overall)
    video = next((t for t in tracks if t.handler == "vide"), None)
    audio = next((t for t in tracks if t.handler == "soun"), None)
    codecs = ",".join(t.codec for t in (video, audio) if t is not None and t.codec)
    if overall is None:
        longest = max((t.duration_s or 0.0 for t in tracks), default=0.0)
        overall = round(size * 8 / longest) if longest else None
    return OutputFacts(codecs or None, overall, video.bitrate if video else None, audio.bitrate if audio else None)


def read_moov(store: Store, key: str, size: int) -> bytes | None:
    """The body of the file's top-level ``moov`` box, or None when it has none (bounded reads)."""
    offset = 0
    while offset + 8 <= size:
        header = store.read_bytes(key, offset, 16)
        box_size, kind = struct.unpack(">I4s", header[:8])
        start = offset + 8
        if box_size == 1:
            box_size, start = struct.unpack(">Q", header[8:16])[0], offset + 16
        elif box_size == 0:
            box_size = size - offset
        if box_size < start - offset:
            raise ValueError(f"a box at {offset} has an impossible size")
        if kind == b"moov":
            if box_size > MAX_MOOV_BYTES:
                raise ValueError("the moov box is too large")
            return store.read_bytes(key, start, offset + box_size - start)
        offset += box_size
    return None


def mp4_tracks(moov: bytes) -> list[TrackFacts]:
    """Each ``trak`` of a ``moov`` body: its handler, codec, sample bytes and duration."""
    return [_track(moov, start, end) for kind, start, end in _boxes(moov, 0, len(moov)) if kind == b"trak"]


def _track(data: bytes, start: int, end: int) -> TrackFacts:
    found: dict[bytes, tuple[int, int]] = {}
    _collect(data, start, end, found)
    handler = data[found[b"hdlr"][0] + 8:found[b"hdlr"][0] + 12].decode("latin-1") if b"hdlr" in found else ""
    return TrackFacts(handler, _codec(data, found), _sample_bytes(data, found.get(b"stsz")),
                      _duration(data, found.get(b"mdhd")))


def _collect(data: bytes, start: int, end: int, found: dict[bytes, tuple[int, int]]) -> None:
    for kind, body, stop in _boxes(data, start, end):
        if kind in _CONTAINERS:
            _collect(data, body, stop, found)
        elif kind == b"stsd":
            for entry, entry_body, entry_stop in _boxes(data, body + 8, stop):
                fixed = _SAMPLE_ENTRY_BYTES.get(entry)
                if fixed is not None:
                    found[b"entry:" + entry] = (entry_body, entry_stop)
                    _collect(data, entry_body + fixed, entry_stop, found)
                break  # the first sample description is the track's
        else:
            found.setdefault(kind, (body, stop))


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        body = offset + 8
        if size == 1:
            size, body = struct.unpack_from(">Q", data, offset + 8)[0], offset + 16
        elif size == 0:
            size = end - offset
        if size < body - offset or offset + size > end:
            raise ValueError("a box runs past its parent")
        yield kind, body, offset + size
        offset += size


def _codec(data: bytes, found: dict[bytes, tuple[int, int]]) -> str | None:
    for entry in (b"avc1", b"avc3"):
        if b"entry:" + entry in found and b"avcC" in found:
            at = found[b"avcC"][0]
            return f"{entry.decode()}.{data[at + 1]:02x}{data[at + 2]:02x}{data[at + 3]:02x}"
    if b"entry:mp4a" in found and b"esds" in found:
        body, stop = found[b"esds"]
        return _esds_codec(data[body + 4:stop])
    return None


def _esds_codec(esds: bytes) -> str | None:
    """``mp4a.<object type>[.<audio object type>]`` from an ES descriptor (ISO 14496-1 / -3)."""
    descriptors = dict(_descriptors(esds, 0, len(esds)))
    if 0x03 not in descriptors:
        return None
    es = descriptors[0x03]
    flags, skip = es[2], 3
    skip += 2 if flags & 0x80 else 0
    skip += 1 + es[skip] if flags & 0x40 else 0
    skip += 2 if flags & 0x20 else 0
    config = dict(_descriptors(es, skip, len(es))).get(0x04)
    if not config:
        return None
    object_type = config[0]
    specific = dict(_descriptors(config, 13, len(config))).get(0x05)
    if object_type != 0x40 or not specific:
        return f"mp4a.{object_type:02X}"
    audio_type = specific[0] >> 3
    if audio_type == 31 and len(specific) > 1:
        audio_type = 32 + (((specific[0] & 0x07) << 3) | (specific[1] >> 5))
    return f"mp4a.40.{audio_type}"


def _descriptors(data: bytes, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    offset = start
    while offset + 2 <= end:
        tag, length, offset = data[offset], 0, offset + 1
        for _ in range(4):  # the length: up to four bytes of seven bits
            byte = data[offset]
            offset += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        yield tag, data[offset:offset + length]
        offset += length


def _sample_bytes(data: bytes, box: tuple[int, int] | None) -> int:
    if box is None:
        return 0
    body, stop = box
    size, count = struct.unpack_from(">II", data, body + 4)
    if size:
        return int(size * count)
    count = min(count, (stop - body - 12) // 4)
    return int(sum(struct.unpack_from(f">{count}I", data, body + 12))) if count else 0


def _duration(data: bytes, box: tuple[int, int] | None) -> float | None:
    if box is None:
        return None
    body, _ = box
    if data[body] == 1:
        timescale, duration = struct.unpack_from(">IQ", data, body + 20)
    else:
        timescale, duration = struct.unpack_from(">II", data, body + 12)
    return duration / timescale if timescale else None
