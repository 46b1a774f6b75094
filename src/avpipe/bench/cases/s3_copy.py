"""Case 4: MP3 passthrough and the original's copy, S3 to S3.

``avpipe`` calls ``copy_to`` as the upload handler does (server-side copies). The baseline
copies through the process: download to a temporary file, upload from it.
"""

from __future__ import annotations

from pathlib import Path

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most
from avpipe.bench.cases.s3_common import LARGE_INPUT, MP3_INPUT, downloaded, prepare_buckets, stores


def prepare(env: BenchEnv) -> Spec:
    return prepare_buckets(env)


def run(variant: str, spec: Spec) -> Metrics:
    watch, public = stores(spec)
    copies = ((MP3_INPUT, "audiovideo/song.mp3"), (LARGE_INPUT, "original/large-copy.mp4"))
    for source, target in copies:
        if variant == "avpipe":
            watch.copy_to(source, public, target)
        else:  # through the process: download to a local file, upload it
            with downloaded(watch, source) as path:
                public.put(target, Path(path))
    return {"copied_mb": round((spec["mp3_size"] + spec["large_size"]) / 2**20, 1)}


def targets(summary: Summary) -> list[Target]:
    avpipe = summary.get("avpipe", {})
    moved = None
    if "s3_object_bytes_read" in avpipe:
        moved = avpipe["s3_object_bytes_read"] + avpipe["s3_object_bytes_written"]
    return [at_most("object bytes through the process", moved, 0, quick=True)]  # zero is zero at any size


CASE = Case(4, "s3_copy", "MP3 passthrough and original copy in S3", ("avpipe", "through_client"),
            prepare, run, targets, needs_s3=True)
