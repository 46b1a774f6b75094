"""Measuring one trial: wall time, CPU time and peak memory of this process and its children.

CPU time and the largest single-process peak come from ``getrusage`` (``RUSAGE_CHILDREN``
covers every child that has been waited for, ffmpeg included). A trial runs in a fresh
process (see :mod:`avpipe.bench.trial`), so those figures belong to that trial alone. The
peak of the whole process tree at once (workers running side by side) comes from a thread
that samples ``/proc`` every few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MB = 1024 * 1024


@dataclass
class Measurement:
    """Filled in when the ``measured()`` block ends."""

    wall_s: float = 0.0
    cpu_s: float = 0.0  # user + system, this process and its children
    children_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0  # the largest single process (this one or a child)
    peak_child_rss_mb: float = 0.0  # the largest child (ffmpeg, say)
    peak_tree_rss_mb: float = 0.0  # the largest sum over the process tree at one moment
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        base = {k: round(v, 4) for k, v in vars(self).items() if isinstance(v, float)}
        return {**base, **self.extra}


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def measured(sample_every_s: float = 0.02) -> Iterator[Measurement]:
    """Measure the block; the result is complete once the block has ended."""
    result = Measurement()
    sampler = TreeSampler(os.getpid(), sample_every_s)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    sampler.start()
    try:
        yield result
    finally:
        result.wall_s = time.perf_counter() - started
        sampler.stop()
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.children_cpu_s = _cpu(children_after) - _cpu(children_before)
        result.cpu_s = _cpu(self_after) - _cpu(self_before) + result.children_cpu_s
        result.peak_child_rss_mb = children_after.ru_maxrss / 1024  # kB on Linux
        result.peak_rss_mb = max(own_peak_rss_bytes() / MB, result.peak_child_rss_mb)
        result.peak_tree_rss_mb = max(sampler.peak_bytes / MB, result.peak_rss_mb)


class TreeSampler:
    """Samples the summed resident memory of ``root`` and all its descendants."""

    def __init__(self, root: int, every_s: float) -> None:
        self.root = root
        self.every_s = every_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self.root))
            self._stop.wait(self.every_s)


def own_peak_rss_bytes() -> int:
    """This process's peak resident memory since it started (``VmHWM``).

    Not ``ru_maxrss``: after fork and exec that still counts the parent's pages.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for row in handle:
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def tree_rss_bytes(root: int) -> int:
    """Resident bytes of ``root`` and its descendants now (0 where ``/proc`` is missing)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                _read_stat(int(entry.name), parents, rss)
    family = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in family)


def _read_stat(pid: int, parents: dict[int, int], rss: dict[int, int]) -> None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read()
    except OSError:
        return  # gone already
    fields = text[text.rfind(b")") + 2 :].split()
    parents[pid] = int(fields[1])  # field 4 of stat: ppid
    rss[pid] = int(fields[21]) * PAGE  # field 24: rss in pages
