"""``avpipe quality`` and the opt-in measurement after each local job: wiring, no decisions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from avpipe.analysis.facts import MediaFacts
from avpipe.errors import AvpipeError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.keys import INPUTS, AssetKeys
from avpipe.manifest.model import Manifest, Status
from avpipe.pipeline.events import Event, JobStateChange
from avpipe.quality.measure import VmafFfmpeg, vmaf_ffmpeg
from avpipe.quality.record import QualityTools, assess_asset
from avpipe.storage.base import Store

if TYPE_CHECKING:
    from avpipe.pipeline.local_runtime import LocalRuntime

log = logging.getLogger(__name__)
_announced: set[str] = set()


def quality_tools(ffmpeg_in_use: str, probe: Callable[[str], MediaFacts], clock: Callable[[], datetime],
                  threads: int = 0, *, announce: bool = False) -> tuple[QualityTools, VmafFfmpeg]:
    """Tools with an ffmpeg that has libvmaf (the wheel's when the one in use lacks it).

    With ``announce``, a replaced ffmpeg is logged as a warning, once per process (the
    command line prints the note itself instead).
    """
    chosen = vmaf_ffmpeg(ffmpeg_in_use)
    if announce and chosen.note and ffmpeg_in_use not in _announced:
        _announced.add(ffmpeg_in_use)
        log.warning("%s", chosen.note)
    return QualityTools(FfmpegRunner(chosen.path), probe, clock, threads), chosen


def target_of(file_or_name: str) -> tuple[str, str | None]:
    """``(asset name, source file)`` for ``avpipe quality``'s argument: a processed file or an asset name."""
    path = Path(file_or_name)
    if path.is_file():
        return AssetKeys.for_input(INPUTS + path.name).name, str(path)
    return file_or_name, None


def measure_after_jobs(public: Store, results: Sequence[tuple[Event, Manifest | None]], tools: QualityTools) -> None:
    """Measure the renditions of every video job in ``results`` that completed; a failure only warns."""
    for event, manifest in results:
        if not isinstance(event, JobStateChange) or manifest is None:
            continue
        if manifest.status is not Status.COMPLETE or manifest.kind != "video":
            continue
        try:
            assess_asset(public, manifest.name, tools)
        except AvpipeError as exc:
            log.warning("VMAF of %s was not measured: %s", manifest.name, exc)


def measure_after_local_run(runtime: LocalRuntime, results: Sequence[tuple[Event, Manifest | None]]) -> None:
    """``AVPIPE_QUALITY``: measure what the run's video jobs made; never fails the run."""
    if not any(isinstance(event, JobStateChange) for event, _ in results):
        return
    try:
        tools, _ = quality_tools(runtime.runner.executable, runtime.probe, runtime.clock,
                                 runtime.settings.ffmpeg_threads, announce=True)
    except AvpipeError as exc:
        log.warning("VMAF was not measured: %s", exc)
        return
    measure_after_jobs(runtime.public, results, tools)
