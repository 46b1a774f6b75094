"""The manifest model. Its JSON form is documented by ``schemas/manifest.schema.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from avpipe.storage.fingerprint import Fingerprint

SCHEMA_VERSION = 1


class Status(StrEnum):
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class OutputEntry:
    key: str  # in the public store
    kind: str  # "rendition" | "audio" | "hls" | "dash" | "stream" (a variant playlist or track) | "preview"
    rung: int | None = None
    width: int | None = None
    height: int | None = None
    file: Fingerprint | None = None  # size and digest as published (integrity)
    codecs: str | None = None  # the RFC 6381 codecs string a player needs, e.g. "avc1.640028,mp4a.40.2"
    bitrate: int | None = None  # measured: bits per second over the whole file
    video_bitrate: int | None = None  # measured from the video track's samples
    audio_bitrate: int | None = None
    quality: dict[str, Any] | None = None  # VMAF against the source (avpipe.quality), when measured
    variants: tuple[dict[str, Any], ...] | None = None  # kind hls/dash: one per variant (streams.py)


@dataclass(frozen=True)
class CaptionEntry:
    source: str  # the caption upload's original key
    status: str  # "complete" | "failed"
    key: str | None = None  # the .vtt in the public store
    language: str | None = None
    format: str | None = None
    cues: int | None = None
    reason: str | None = None
    file: Fingerprint | None = None  # size and digest of the .vtt as published


@dataclass(frozen=True)
class Verification:
    """The last ``avpipe verify`` of this asset's published files."""

    at: str
    ok: bool
    decoded: bool  # whether media files were also decoded end to end (--decode)
    files: int  # how many files were checked
    problems: tuple[str, ...] = ()  # one sentence per file that is wrong, naming it


@dataclass(frozen=True)
class ErrorInfo:
    category: str  # "bad_input" | "transient" | "configuration"
    reason: str  # one sentence for a person
    step: str  # which step failed


@dataclass(frozen=True)
class Manifest:
    name: str  # the asset name: the upload's key below inputs/, without extension
    kind: str  # "video" | "audio" | "caption" | "unsupported"
    status: Status
    created_at: str
    updated_at: str
    source: str | None = None  # the upload's key in the watch store
    source_version: str | None = None  # its ETag (S3) or version (local) when it was processed
    attempts: int = 1  # how many times this upload version has been processed
    original: str | None = None
    media: dict[str, Any] | None = None
    outputs: tuple[OutputEntry, ...] = ()
    thumbnail: str | None = None
    captions: tuple[CaptionEntry, ...] = ()
    error: ErrorInfo | None = None
    job: dict[str, str] | None = None  # {"backend": ..., "id": ...}
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # why the renditions differ from the template's (planning's source rules)
    completed_at: str | None = None
    schema_version: int = SCHEMA_VERSION
    history: tuple[dict[str, str], ...] = field(default=())
    original_file: Fingerprint | None = None  # the original's size and digest: the asset's content identity
    thumbnail_file: Fingerprint | None = None
    verification: Verification | None = None
    usage: dict[str, float] | None = None  # the local job's measured wall and CPU seconds (avpipe.cost.usage)
    preview: OutputEntry | None = None  # kind "preview": playable while the ladder runs, removed when it is published
    playable_at: str | None = None  # when the asset first had something a browser plays (preview or outputs)
    # editable through the web API (PATCH /api/assets/<name>)
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        for name in ("outputs", "captions", "warnings", "notes", "history", "tags"):
            data[name] = list(data[name])
        _drop_empty_files(data)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        values = dict(data)
        values["status"] = Status(values["status"])
        values["outputs"] = tuple(OutputEntry(**_with_file(o)) for o in values.get("outputs", []))
        values["captions"] = tuple(CaptionEntry(**_with_file(c)) for c in values.get("captions", []))
        values["preview"] = OutputEntry(**_with_file(values["preview"])) if values.get("preview") else None
        for name in ("original_file", "thumbnail_file"):
            values[name] = Fingerprint.from_dict(values[name]) if values.get(name) else None
        check = values.get("verification")
        values["verification"] = Verification(**{**check, "problems": tuple(check.get("problems", []))}) \
            if check else None
        values["error"] = ErrorInfo(**values["error"]) if values.get("error") else None
        values["warnings"] = tuple(values.get("warnings", []))
        values["notes"] = tuple(values.get("notes", []))
        values["history"] = tuple(values.get("history", []))
        values["tags"] = tuple(values.get("tags", []))
        return cls(**values)

    def moved_to(self, status: Status, at: datetime, message: str, **changes: Any) -> Manifest:
        """A copy in ``status`` with ``changes`` applied and the transition recorded."""
        stamp = iso(at)
        event = {"at": stamp, "status": str(status), "message": message}
        extra: dict[str, Any] = {}
        if status is Status.COMPLETE:
            extra["completed_at"] = stamp
            if self.kind in ("video", "audio"):  # published media plays: at the latest, from this same stamp
                extra["playable_at"] = self.playable_at or stamp
        if status is not Status.FAILED:
            extra["error"] = None
        if status is not Status.PROCESSING:  # a preview lives only while the ladder runs
            extra["preview"] = None
        return replace(self, status=status, updated_at=stamp, history=(*self.history, event),
                       **{**extra, **changes})

    def with_caption(self, entry: CaptionEntry, at: datetime) -> Manifest:
        """Add or replace the caption entry for the same output key (or failed source)."""
        ident = entry.key or entry.source
        kept = tuple(c for c in self.captions if (c.key or c.source) != ident)
        return replace(self, captions=(*kept, entry), updated_at=iso(at))


def _with_file(entry: dict[str, Any]) -> dict[str, Any]:
    record = entry.get("file")
    return {**entry, "file": Fingerprint.from_dict(record) if record else None}


def _drop_empty_files(data: dict[str, Any]) -> None:
    """File records without their unknown (None) parts, as the schema describes them."""
    for name in ("original_file", "thumbnail_file"):
        if data.get(name):
            data[name] = {k: v for k, v in data[name].items() if v is not None}
    for entry in (*data["outputs"], *data["captions"], *([data["preview"]] if data.get("preview") else [])):
        if entry.get("file"):
            entry["file"] = {k: v for k, v in entry["file"].items() if v is not None}
    if data.get("verification"):
        data["verification"]["problems"] = list(data["verification"]["problems"])


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
