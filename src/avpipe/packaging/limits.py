"""Lambda's size limits, and checking built artefacts against them (pure).

The numbers are the documented Lambda quotas: a .zip uploaded directly may be 50 MB; a
function's code and all its layers together may be 250 MB unzipped; a function may use
five layers. ``sam deploy`` uploads through S3, so only the unzipped total and the layer
count are hard limits for this project; a zip over 50 MB is reported as a note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

MB = 1024 * 1024
MAX_DIRECT_UPLOAD_ZIPPED = 50 * MB
MAX_UNZIPPED_WITH_LAYERS = 250 * MB
MAX_LAYERS = 5


@dataclass(frozen=True)
class ArtefactSize:
    """What one built zip weighs."""

    name: str  # e.g. "function", "pymediainfo", "ffmpeg"
    zipped: int
    unzipped: int


class Severity(StrEnum):
    ERROR = "error"  # Lambda will refuse the deployment
    NOTE = "note"  # fine the way sam deploy uploads, worth knowing


@dataclass(frozen=True)
class Finding:
    severity: Severity
    subject: str
    message: str


def check_limits(
    sizes: Mapping[str, ArtefactSize],
    functions: Mapping[str, Sequence[str]],
    code: str = "function",
) -> list[Finding]:
    """Check every function (code ``code`` plus its layers) against Lambda's limits.

    ``functions`` maps a function name to the names of the layers it uses.
    """
    findings = [_direct_upload_note(size) for size in sizes.values() if size.zipped > MAX_DIRECT_UPLOAD_ZIPPED]
    for function, layers in functions.items():
        findings.extend(_function_findings(function, [code, *layers], sizes))
    return findings


def _direct_upload_note(size: ArtefactSize) -> Finding:
    return Finding(
        Severity.NOTE,
        size.name,
        f"{size.name} is {_mb(size.zipped)} zipped, over the {_mb(MAX_DIRECT_UPLOAD_ZIPPED)} limit for a direct "
        "upload; deploy it through S3 (sam deploy does).",
    )


def _function_findings(function: str, parts: list[str], sizes: Mapping[str, ArtefactSize]) -> list[Finding]:
    findings = []
    missing = [part for part in parts if part not in sizes]
    if missing:
        return [Finding(Severity.ERROR, function, f"{function} needs {', '.join(missing)}, which was not built.")]
    layers = len(parts) - 1
    if layers > MAX_LAYERS:
        message = f"{function} uses {layers} layers; Lambda allows {MAX_LAYERS}."
        findings.append(Finding(Severity.ERROR, function, message))
    total = sum(sizes[part].unzipped for part in parts)
    if total > MAX_UNZIPPED_WITH_LAYERS:
        findings.append(
            Finding(
                Severity.ERROR,
                function,
                f"{function} is {_mb(total)} unzipped with its layers; Lambda allows {_mb(MAX_UNZIPPED_WITH_LAYERS)}.",
            )
        )
    return findings


def unzipped_total(parts: Sequence[str], sizes: Mapping[str, ArtefactSize]) -> int:
    return sum(sizes[part].unzipped for part in parts)


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"
