"""The wall time and CPU seconds a local run took, recorded in the manifest as ``usage``.

CPU seconds are those of the child processes (ffmpeg; MediaInfo runs in-process) that
finished during the run, from ``getrusage(RUSAGE_CHILDREN)``: exact for ``avpipe process``, which
runs one upload at a time; with several watch workers, runs that overlap share the count.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from avpipe.manifest.model import Manifest
from avpipe.manifest.repository import update_manifest
from avpipe.pipeline.events import Event, JobStateChange
from avpipe.storage.base import Store

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None  # type: ignore[assignment]


@dataclass
class Usage:
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return {"wall_s": round(self.wall_s, 3), "cpu_s": round(self.cpu_s, 3)}


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children so far."""
    if resource is None:  # pragma: no cover
        return 0.0
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(used.ru_utime + used.ru_stime)


@contextlib.contextmanager
def measured() -> Iterator[Usage]:
    """A ``Usage`` filled in when the block ends."""
    usage = Usage()
    start_wall, start_cpu = time.monotonic(), children_cpu_s()
    try:
        yield usage
    finally:
        usage.wall_s = time.monotonic() - start_wall
        usage.cpu_s = children_cpu_s() - start_cpu


def record_usage(public: Store, results: Sequence[tuple[Event, Manifest | None]], usage: Usage) -> None:
    """Write ``usage`` into the manifest of each job that finished in ``results``."""
    data = usage.to_dict()
    for event, manifest in results:
        if isinstance(event, JobStateChange) and manifest is not None:
            update_manifest(public, manifest.name, lambda current: replace(current, usage=data))
