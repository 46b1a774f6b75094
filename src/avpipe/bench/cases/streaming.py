"""Case 7: the cost of streaming: the whole local job with and without the CMAF group.

- ``streaming``: the job avpipe plans for the 1080p clip with the packaged job.json, MP4
  ladder plus CMAF group (HLS + DASH), through :class:`~avpipe.transcode.local.LocalTranscoder`.
- ``mp4_only``: the same request without the CMAF group: today's MP4-only job.

The stream is a ``-c copy`` remux of the renditions' own tracks, so its CPU share should be
small; the target is the issue's: whole-job CPU time with streaming <= 1.05x MP4-only.
"""

from __future__ import annotations

import copy

from avpipe.bench.cases import ladder
from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most, ratio


def prepare(env: BenchEnv) -> Spec:
    spec = ladder.prepare(env, streaming=True)
    mp4_only = copy.deepcopy(spec["request"])
    mp4_only["Settings"]["OutputGroups"] = mp4_only["Settings"]["OutputGroups"][:1]
    return {**spec, "mp4_only": mp4_only}


def run(variant: str, spec: Spec) -> Metrics:
    request = spec["request"] if variant == "streaming" else spec["mp4_only"]
    return ladder.run_avpipe({**spec, "request": request})


def targets(summary: Summary) -> list[Target]:
    return [at_most("whole-job CPU time, streaming / MP4 only", ratio(summary, "streaming", "mp4_only", "cpu_s"), 1.05),
            at_most("whole-job wall time, streaming / MP4 only", ratio(summary, "streaming", "mp4_only"), 1.05)]


CASE = Case(7, "streaming", "Streaming (CMAF HLS + DASH) on vs MP4 only, 1080p to 4 rungs (local backend)",
            ("streaming", "mp4_only"), prepare, run, targets, reset=ladder.reset)
