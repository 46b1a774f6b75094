"""Case 3: the thumbnail of the large original in S3.

``avpipe`` runs the real step, :func:`~avpipe.pipeline.save_video_frame.save_video_frame`,
on the original's ObjectCreated event: ffmpeg seeks (``-ss`` before ``-i``) in the
presigned URL. The baseline is the seed's SaveVideoFrame: download, then grab the frame.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most
from avpipe.bench.cases.s3_common import LARGE_ORIGINAL, downloaded, prepare_buckets, share, stores

if TYPE_CHECKING:
    from avpipe.ffmpeg.runner import FfmpegRunner
    from avpipe.pipeline.context import PipelineContext
    from avpipe.storage.base import Store


def prepare(env: BenchEnv) -> Spec:
    return prepare_buckets(env)


def run(variant: str, spec: Spec) -> Metrics:
    from avpipe.ffmpeg.runner import FfmpegRunner
    from avpipe.pipeline.events import ObjectCreated
    from avpipe.pipeline.save_video_frame import save_video_frame
    from avpipe.planning.thumbnail import thumbnail_args, thumbnail_time

    runner = FfmpegRunner(spec["ffmpeg"])
    watch, public = stores(spec)
    if variant == "avpipe":
        manifest = save_video_frame(_context(spec, watch, public, runner), ObjectCreated("public", LARGE_ORIGINAL))
        if manifest is None or manifest.thumbnail is None:
            raise RuntimeError(f"no thumbnail was made: {manifest}")
    else:
        with downloaded(public, LARGE_ORIGINAL) as path, tempfile.TemporaryDirectory() as tmp:
            output = os.path.join(tmp, "frame.jpg")
            runner.run(thumbnail_args(path, output, thumbnail_time(spec["large_duration_s"], 7.0), 1920, 1080))
            public.put("thumbnail/large-baseline.jpg", Path(output))
    return {"object_mb": round(spec["large_size"] / 2**20, 1)}


def _context(spec: Spec, watch: Store, public: Store, runner: FfmpegRunner) -> PipelineContext:
    """What the step is given in a Lambda: stores, ffmpeg (no transcoder or probe is used)."""
    from avpipe.analysis.mediainfo import probe
    from avpipe.config import Settings
    from avpipe.pipeline.context import PipelineContext, Templates
    from avpipe.transcode.local import LocalTranscoder

    settings = Settings()
    transcoder = LocalTranscoder(runner, [], lambda _event: None)
    return PipelineContext(settings, watch, public, transcoder, runner, probe, Templates.from_settings(settings))


def targets(summary: Summary) -> list[Target]:
    avpipe = summary.get("avpipe", {})
    size = avpipe.get("object_mb", 0) * 2**20 or 1
    return [at_most("share of the object's bytes read (%)", share(avpipe.get("s3_object_bytes_read"), size), 5.0),
            at_most("peak RSS of ffmpeg (MB)", avpipe.get("peak_child_rss_mb"), 200.0, quick=True)]


CASE = Case(3, "s3_thumbnail", "Thumbnail from a large object in S3", ("avpipe", "download"),
            prepare, run, targets, needs_s3=True)
