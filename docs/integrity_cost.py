"""The CPU cost of file integrity (SHA-256 per published file, codecs and bitrates from the moov box) next
to the CPU of the 1080p ladder job it belongs to. Run: .venv/bin/python docs/integrity_cost.py .avpipe-bench
(makes the benchmark's 30 s 1080p clip if it is not cached there; prints JSON, see docs/performance.md)."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from avpipe.bench.inputs import Inputs, InputSizes
from avpipe.config import Settings
from avpipe.ffmpeg import find_ffmpeg
from avpipe.manifest.output_facts import describe_output
from avpipe.pipeline.local_runtime import LocalRuntime


def cpu_s() -> float:
    """User + system CPU of this process and its children (ffmpeg) so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(work: Path) -> dict[str, object]:
    work.mkdir(parents=True, exist_ok=True)
    clip = Inputs(work / "inputs", find_ffmpeg(), InputSizes()).clip_1080p()
    data = Path(tempfile.mkdtemp(prefix="integrity-measure-", dir=work))
    runtime = LocalRuntime.from_settings(Settings(data_dir=data, rungs=(360, 480, 720, 1080)))
    key = runtime.submit_file(str(clip), "clip.mp4")
    started, wall = cpu_s(), time.monotonic()
    manifest = runtime.process_key(key)
    job_cpu, job_wall = cpu_s() - started, time.monotonic() - wall
    assert manifest is not None and manifest.status == "complete", manifest
    files = [k for k in (manifest.original, *(o.key for o in manifest.outputs), manifest.thumbnail) if k]
    rounds, hashed = [], 0
    for _ in range(5):  # what the pipeline does per file: one read + SHA-256, and the moov for renditions
        begin, hashed = time.process_time(), 0
        for name in files:
            record = runtime.public.fingerprint(name)
            hashed += record.size
            if name.startswith("audiovideo/"):
                describe_output(runtime.public, name, record.size, None)
        rounds.append(time.process_time() - begin)
    integrity = sorted(rounds)[len(rounds) // 2]
    return {"job_cpu_s": round(job_cpu, 2), "job_wall_s": round(job_wall, 2), "integrity_cpu_s": round(integrity, 4),
            "share_percent": round(100 * integrity / job_cpu, 3), "bytes_hashed": hashed, "files": files,
            "loadavg": os.getloadavg()}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".avpipe-bench")), indent=1))
