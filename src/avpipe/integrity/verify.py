"""``avpipe verify``: are the published files still what their manifest says they are?

Each file an asset lists (original, renditions or audio, thumbnail, captions) must be
present, have the recorded size, and the recorded digest: the SHA-256 of its bytes on a
local store, S3's checksum or ETag on S3 (whatever kind of proof was recorded). With a
decoder, each media file is also decoded end to end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from avpipe.integrity.decode import is_media
from avpipe.manifest.model import Manifest, Verification, iso
from avpipe.manifest.repository import update_manifest
from avpipe.storage.base import Store
from avpipe.storage.fingerprint import Fingerprint

Decoder = Callable[[str], str | None]


@dataclass(frozen=True)
class AssetReport:
    name: str
    files: int
    problems: tuple[str, ...]
    decoded: bool

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """One line for a person: ``talk: ok (6 files)`` or ``talk: FAILED: what is wrong``."""
        checked = f"{self.files} file{'s' if self.files != 1 else ''}{', decoded' if self.decoded else ''}"
        if self.ok:
            return f"{self.name}: ok ({checked})"
        return f"{self.name}: FAILED ({checked}): {' '.join(self.problems)}"


def published_files(manifest: Manifest) -> list[tuple[str, Fingerprint | None]]:
    """Every file the manifest lists as published, with its recorded size and digest."""
    files: list[tuple[str, Fingerprint | None]] = []
    if manifest.original and (manifest.original_file or manifest.status == "complete"):
        files.append((manifest.original, manifest.original_file))
    files += [(entry.key, entry.file) for entry in manifest.outputs]
    if manifest.thumbnail:
        files.append((manifest.thumbnail, manifest.thumbnail_file))
    files += [(c.key, c.file) for c in manifest.captions if c.key and c.status == "complete"]
    return files


def check_file(store: Store, key: str, record: Fingerprint | None) -> str | None:
    """None when ``key`` matches its record; else one sentence naming the file."""
    try:
        current = store.fingerprint(key)
    except FileNotFoundError:
        return f"{key} is missing."
    if record is None:
        return f"{key} has no recorded size and digest to check against."
    problem = record.mismatch(current)
    return f"{key}: {problem}." if problem else None


def verify_asset(store: Store, manifest: Manifest, decoder: Decoder | None = None) -> AssetReport:
    """Check every published file of ``manifest``; decode media files too when given a decoder."""
    problems = []
    files = published_files(manifest)
    for key, record in files:
        problem = check_file(store, key, record)
        if problem is None and decoder is not None and is_media(key):
            problem = decoder(key)
        if problem is not None:
            problems.append(problem)
    return AssetReport(manifest.name, len(files), tuple(problems), decoded=decoder is not None)


def record_verification(store: Store, report: AssetReport, at: datetime) -> Manifest | None:
    """Keep the outcome in the manifest (``verification``), where the library API shows it."""
    result = Verification(at=iso(at), ok=report.ok, decoded=report.decoded, files=report.files,
                          problems=report.problems)
    return update_manifest(store, report.name, lambda m: replace(m, verification=result))
