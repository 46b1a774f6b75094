"""How far ``avpipe process`` has got: a live bar per file on a terminal, plain lines otherwise.

A :class:`ProgressDisplay` is the local transcoder's ``JobProgress`` listener (the hook the
web app's progress board uses too): ffmpeg's ``-progress`` output time against the
source's duration gives the fraction of the ladder made, since one ffmpeg process makes
every rung. On a terminal rich draws the bars (percentage, elapsed, estimated time left)
and prints log records and finished-file lines above them; when stderr is not a terminal
a plain line is written when a file starts and then every ``interval_s`` seconds.
rich is used rather than tqdm because it keeps several bars and interleaved log lines
readable in one live display and tells terminals from pipes itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from avpipe.keys import INPUTS
from avpipe.manifest.repository import load_manifest
from avpipe.storage.base import Store

PLAIN_INTERVAL_S = 10.0


@dataclass
class _Job:
    label: str
    started: float
    task: TaskID | None = None
    last_line: float | None = None


class ProgressDisplay:
    """Progress of each file being transcoded, written to ``stream`` (stderr)."""

    def __init__(self, public: Store, stream: TextIO, *, live: bool | None = None,
                 interval_s: float = PLAIN_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.public = public
        self.console = Console(file=stream, highlight=False)
        self.live = live if live is not None else self.console.is_terminal and not self.console.is_dumb_terminal
        self.interval_s = interval_s
        self.clock = clock
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._bars: Progress | None = None

    def __enter__(self) -> ProgressDisplay:
        if self.live:
            self._bars = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                  TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                                  console=self.console, transient=True)
            self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    # --- the JobProgress hook -------------------------------------------------------
    def duration_s(self, metadata: Mapping[str, str]) -> float | None:
        """The source's duration from its manifest (written before the job starts); starts its bar."""
        manifest = load_manifest(self.public, metadata.get("asset", ""))
        duration = (manifest.media or {}).get("duration_s") if manifest else None
        key = metadata.get("input", "")
        label = key.removeprefix(INPUTS) or metadata.get("asset", "")
        with self._lock:
            job = self._jobs[key] = _Job(label, self.clock())
            if self._bars is not None:
                job.task = self._bars.add_task(label, total=100)
            else:
                job.last_line = job.started
                self.console.print(plain_line(label, 0.0, 0.0), markup=False, soft_wrap=True)
        return float(duration) if isinstance(duration, (int, float)) and duration > 0 else None

    def update(self, metadata: Mapping[str, str], fraction: float) -> None:
        with self._lock:
            job = self._jobs.get(metadata.get("input", ""))
        if job is None:
            return
        if self._bars is not None and job.task is not None:
            self._bars.update(job.task, completed=round(fraction * 100, 1))
            return
        now = self.clock()
        if job.last_line is None or now - job.last_line >= self.interval_s:
            job.last_line = now
            self.console.print(plain_line(job.label, fraction, now - job.started), markup=False, soft_wrap=True)

    # --- lines around the bars ------------------------------------------------------
    def finished(self, input_key: str, line: str) -> None:
        """Print ``line`` for a finished upload (above the bars) and remove its bar."""
        with self._lock:
            job = self._jobs.pop(input_key, None)
        if self._bars is not None and job is not None and job.task is not None:
            self._bars.remove_task(job.task)
            self._bars.refresh()  # so the line below is not followed by the stale bar
        self.console.print(line, markup=False, soft_wrap=True)


def plain_line(label: str, fraction: float, elapsed_s: float) -> str:
    """``talk.mp4: 42% of the ladder, 0:12 elapsed, about 0:17 left``."""
    left = f", about {_clock(elapsed_s * (1 - fraction) / fraction)} left" if 0 < fraction < 1 else ""
    return f"{label}: {fraction * 100:.0f}% of the ladder, {_clock(elapsed_s)} elapsed{left}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
