"""What a store can vouch for about one object: its size and a digest, and how it knows.

Three kinds of proof (``Fingerprint.proof``):

- ``sha256``: avpipe computed the SHA-256 of the bytes itself (local files, bytes it wrote);
- ``s3-checksum``: S3 holds a SHA-256 checksum it computed when the object was written
  (avpipe's uploads and server-side copies ask for one with ``ChecksumAlgorithm=SHA256``);
  for a multipart object it is S3's composite checksum of the parts, not the file's SHA-256;
- ``s3-etag``: S3 vouches only for the ETag and the size (an object written without a checksum).
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import asdict, dataclass
from typing import Any

PROOF_SHA256 = "sha256"
PROOF_S3_CHECKSUM = "s3-checksum"
PROOF_S3_ETAG = "s3-etag"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Fingerprint:
    size: int
    proof: str  # PROOF_SHA256 | PROOF_S3_CHECKSUM | PROOF_S3_ETAG
    sha256: str | None = None  # hex SHA-256 of the whole object, when known
    etag: str | None = None  # S3's ETag (None for local files, whose version marker is not content)
    checksum_sha256: str | None = None  # S3's x-amz-checksum-sha256 (base64; composite for multipart objects)

    def to_dict(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fingerprint:
        return cls(**data)

    def mismatch(self, current: Fingerprint) -> str | None:
        """What differs in ``current`` (the object as it is now) from this record; None if nothing.

        Every value both sides know must agree: the size always, then the SHA-256, S3's
        checksum and the ETag where both have them.
        """
        if current.size != self.size:
            return f"size {current.size} bytes, expected {self.size}"
        for name in ("sha256", "checksum_sha256", "etag"):
            mine, theirs = getattr(self, name), getattr(current, name)
            if mine is not None and theirs is not None and mine != theirs:
                return f"{name.replace('_', ' ')} differs"
        if not self._comparable(current):
            return "nothing but the size could be compared"
        return None

    def _comparable(self, current: Fingerprint) -> bool:
        return any(getattr(self, n) is not None and getattr(current, n) is not None
                   for n in ("sha256", "checksum_sha256", "etag"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(source: io.BufferedReader) -> str:
    """The hex SHA-256 of an open binary file, read once in chunks (OpenSSL's hashing)."""
    return hashlib.file_digest(source, "sha256").hexdigest()


def hex_of_checksum(checksum_b64: str) -> str | None:
    """S3's base64 SHA-256 checksum as hex; None for a composite one (``...=-3``)."""
    if "-" in checksum_b64:
        return None
    try:
        raw = base64.b64decode(checksum_b64, validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


class HashingWriter:
    """A write-only file object that hashes what is written to it (for streamed downloads)."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)
