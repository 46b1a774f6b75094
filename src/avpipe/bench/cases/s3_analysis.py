"""Case 2: analysing the large upload in S3.

``avpipe`` does what the upload handler does before planning: sniff the first bytes, then
MediaInfo on the store's ``readable()`` (a presigned URL read by ranges). The baseline is the
seed's way: download the object to a temporary file and analyse that.
"""

from __future__ import annotations

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most
from avpipe.bench.cases.s3_common import LARGE_INPUT, downloaded, prepare_buckets, share, stores


def prepare(env: BenchEnv) -> Spec:
    return prepare_buckets(env)


def run(variant: str, spec: Spec) -> Metrics:
    from avpipe.analysis.guard import refuse_references
    from avpipe.analysis.mediainfo import probe
    from avpipe.pipeline.caption_upload import SNIFF_BYTES

    watch, _public = stores(spec)
    if variant == "avpipe":
        refuse_references(watch.read_bytes(LARGE_INPUT, 0, SNIFF_BYTES))
        with watch.readable(LARGE_INPUT) as source:
            facts = probe(source)
    else:
        with downloaded(watch, LARGE_INPUT) as path:
            facts = probe(path)
    return {"duration_s": facts.duration_s, "object_mb": round(spec["large_size"] / 2**20, 1)}


def targets(summary: Summary) -> list[Target]:
    avpipe = summary.get("avpipe", {})
    size = avpipe.get("object_mb", 0) * 2**20 or 1
    return [at_most("share of the object's bytes read (%)", share(avpipe.get("s3_object_bytes_read"), size), 1.0)]


CASE = Case(2, "s3_analysis", "Analysis of a large object in S3", ("avpipe", "download"),
            prepare, run, targets, needs_s3=True)
