"""The manifest model. Its JSON form is documented by ``schemas/manifest.schema.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class Status(StrEnum):
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class OutputEntry:
    key: str  # in the public store
    kind: str  # "rendition" | "audio" | "hls" | "dash" | "stream" (a variant playlist or track the manifests use)
    rung: int | None = None
    width: int | None = None
    height: int | None = None
    codecs: str | None = None  # hls/dash: every codec of the stream, RFC 6381 ("avc1.64001f,mp4a.40.2")
    variants: tuple[dict[str, Any], ...] | None = None  # hls/dash: see schemas/manifest.schema.json


@dataclass(frozen=True)
class CaptionEntry:
    source: str  # the caption upload's original key
    status: str  # "complete" | "failed"
    key: str | None = None  # the .vtt in the public store
    language: str | None = None
    format: str | None = None
    cues: int | None = None
    reason: str | None = None


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
    completed_at: str | None = None
    schema_version: int = SCHEMA_VERSION
    history: tuple[dict[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        for name in ("outputs", "captions", "warnings", "history"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        values = dict(data)
        values["status"] = Status(values["status"])
        values["outputs"] = tuple(OutputEntry(**o) for o in values.get("outputs", []))
        values["captions"] = tuple(CaptionEntry(**c) for c in values.get("captions", []))
        values["error"] = ErrorInfo(**values["error"]) if values.get("error") else None
        values["warnings"] = tuple(values.get("warnings", []))
        values["history"] = tuple(values.get("history", []))
        return cls(**values)

    def moved_to(self, status: Status, at: datetime, message: str, **changes: Any) -> Manifest:
        """A copy in ``status`` with ``changes`` applied and the transition recorded."""
        stamp = iso(at)
        event = {"at": stamp, "status": str(status), "message": message}
        extra: dict[str, Any] = {"completed_at": stamp} if status is Status.COMPLETE else {}
        if status is not Status.FAILED:
            extra["error"] = None
        return replace(self, status=status, updated_at=stamp, history=(*self.history, event),
                       **{**extra, **changes})

    def with_caption(self, entry: CaptionEntry, at: datetime) -> Manifest:
        """Add or replace the caption entry for the same output key (or failed source)."""
        ident = entry.key or entry.source
        kept = tuple(c for c in self.captions if (c.key or c.source) != ident)
        return replace(self, captions=(*kept, entry), updated_at=iso(at))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
