"""Case 6: many short clips through ``avpipe watch`` (the Watcher and the LocalRuntime).

``watch`` drops every clip into ``inputs/`` and runs the watch loop with the default
worker count until every manifest is complete. ``one_by_one`` processes the same clips one
after another (``avpipe process``), so its wall time is the sum of single-job times.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most, ratio

if TYPE_CHECKING:
    from avpipe.pipeline.local_runtime import LocalRuntime

POLL_S = 0.2


def prepare(env: BenchEnv) -> Spec:
    clips = env.inputs.short_clips()
    return {"clips": [str(p) for p in clips], "data": str(env.work / "load"), "ffmpeg": env.ffmpeg}


def reset(spec: Spec) -> None:
    """A fresh data folder with every clip already uploaded (as complete files)."""
    data = Path(spec["data"])
    shutil.rmtree(data, ignore_errors=True)
    inputs = data / "watch" / "inputs"
    inputs.mkdir(parents=True)
    for index, clip in enumerate(spec["clips"]):
        os.link(clip, inputs / f"clip_{index:03d}.mp4")


def run(variant: str, spec: Spec) -> Metrics:
    from avpipe.config import Settings
    from avpipe.ffmpeg.runner import FfmpegRunner
    from avpipe.pipeline.local_runtime import LocalRuntime
    from avpipe.storage.local import LocalStore

    settings = Settings(data_dir=Path(spec["data"]))
    runtime = LocalRuntime(settings, LocalStore(settings.resolved_watch_url),
                           LocalStore(settings.resolved_public_url), FfmpegRunner(spec["ffmpeg"]))
    keys = [f"inputs/clip_{i:03d}.mp4" for i in range(len(spec["clips"]))]
    if variant == "watch":
        _watch_until_done(runtime, settings.workers)
    else:
        for key in keys:
            runtime.process_key(key)
    done = len(list(runtime.public.list("json/")))
    if done != len(keys) or any(runtime.watch.exists(k) for k in keys):
        raise RuntimeError(f"{done} of {len(keys)} clips were processed")
    return {"clips": len(keys), "workers": settings.workers if variant == "watch" else 1,
            "cores": os.cpu_count() or 1}


def _watch_until_done(runtime: LocalRuntime, workers: int) -> None:
    from avpipe.watch import Watcher

    watcher = Watcher(runtime.watch, runtime.process_key, workers=workers, poll_s=POLL_S, quiet_s=0, stable_polls=2)
    loop = threading.Thread(target=watcher.run, name="watch")
    loop.start()
    try:
        while any(True for _ in runtime.watch.list("inputs/")) or not watcher.idle():
            time.sleep(POLL_S / 2)
    finally:
        watcher.stop()
        loop.join()


def targets(summary: Summary) -> list[Target]:
    watch = summary.get("watch", {})
    busy = None
    if watch.get("wall_s"):
        busy = round(watch["cpu_s"] / (watch["wall_s"] * watch.get("cores", 1)), 3)
    single = summary.get("one_by_one", {}).get("peak_tree_rss_mb")
    bound = None if single is None else single * watch.get("workers", 1) + 100
    memory = watch.get("peak_tree_rss_mb")
    # Not a fixed fraction: one job alone already keeps ~1.5 of 2 cores busy (ffmpeg's threads),
    # so the bound on the ratio is the CPU-bound time over the sum; "busy" checks that bound.
    return [at_most("watch total / sum of single-job times", ratio(summary, "watch", "one_by_one"), 1.0),
            Target("CPU busy while watching (share of all cores)", busy, 0.80, busy is not None and busy >= 0.80),
            Target(f"peak memory of the process tree (MB) <= workers x one job + 100 ({bound and round(bound)})",
                   memory, bound or 0.0, memory is not None and bound is not None and memory <= bound, quick=True)]


CASE = Case(6, "load", "Throughput under load: short clips through avpipe watch", ("watch", "one_by_one"),
            prepare, run, targets, reset=reset)
