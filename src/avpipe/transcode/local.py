"""The local transcoder: executes MediaConvert job settings with one ffmpeg process."""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from avpipe.errors import AvpipeError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.pipeline.events import Event, JobOutput, JobStateChange
from avpipe.planning.bounds import read_limit_s, run_budget_s, source_duration_s
from avpipe.planning.preview import is_preview
from avpipe.storage.base import Store
from avpipe.storage.registry import locate
from avpipe.transcode.cmaf import STAGE as STREAM_STAGE
from avpipe.transcode.cmaf import (
    finish_stream,
    output_destination,
    publish_order,
    stream_destination,
    stream_sizes,
)
from avpipe.transcode.ffmpeg_args import FfmpegJob, ffmpeg_job
from avpipe.transcode.subtitles import add_subtitles
from avpipe.transcode.support import check_supported

log = logging.getLogger(__name__)
ERROR_CODE_BAD_INPUT = 1010  # MediaConvert's code for an input it cannot read
ERROR_CODE_INTERNAL = 1999
SCRATCH_PREFIX = "avpipe-job-"


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every platform
        return os.cpu_count() or 1


class JobProgress(Protocol):
    """Optional listener for how far a local job has got (the web app shows it)."""

    def duration_s(self, metadata: Mapping[str, str]) -> float | None:
        """The source's duration for the job with this UserMetadata, if known."""

    def update(self, metadata: Mapping[str, str], fraction: float) -> None:
        """Called with 0..1 as ffmpeg reports progress."""


class LocalTranscoder:
    """Runs a job to completion inside ``submit`` and emits its JobStateChange."""

    name = "local"

    def __init__(
        self,
        runner: FfmpegRunner,
        stores: Sequence[Store],
        emit: Callable[[Event], None],
        *,
        threads: int = 0,
        cores: int | None = None,
        new_id: Callable[[], str] = lambda: f"local-{uuid.uuid4().hex[:16]}",
        progress: JobProgress | None = None,
    ) -> None:
        self.runner = runner
        self.stores = stores
        self.emit = emit
        self.threads = threads
        self.cores = cores if cores is not None else available_cores()
        self.new_id = new_id
        self.progress = progress

    def submit(self, request: dict[str, Any]) -> str:
        settings = request["Settings"]
        check_supported(settings)  # a bad template fails the request itself, as CreateJob would
        job_id = self.new_id()
        metadata = dict(request.get("UserMetadata") or {})
        log.info("local job %s: transcoding %s", job_id, settings["Inputs"][0]["FileInput"])
        try:
            outputs = self._execute(settings, metadata)
        except AvpipeError as exc:
            log.info("local job %s failed: %s", job_id, exc)  # the job event records it; reported once
            code = ERROR_CODE_BAD_INPUT if exc.category == "bad_input" else ERROR_CODE_INTERNAL
            self.emit(JobStateChange(job_id, "ERROR", metadata, error_code=code, error_message=str(exc),
                                     error_category=exc.category))
        else:
            log.info("local job %s complete: %d output(s)", job_id, len(outputs))
            self.emit(JobStateChange(job_id, "COMPLETE", metadata, outputs))
        return job_id

    def _execute(self, settings: dict[str, Any], metadata: Mapping[str, str]) -> tuple[JobOutput, ...]:
        input_uri = settings["Inputs"][0]["FileInput"]
        source_store, source_key = locate(input_uri, self.stores)
        destination = output_destination(
            settings["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"], source_key)
        target_store, base_key = locate(destination, self.stores)
        scratch = target_store.scratch_dir()  # outputs written there are moved in, not copied
        with source_store.readable(source_key) as source, \
                tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=scratch) as tmp:
            duration = source_duration_s(metadata)
            job = ffmpeg_job(settings, source, tmp, threads=self.threads, cores=self.cores,
                             read_limit_s=read_limit_s(duration) if duration else None)
            self._run(job.args, metadata)
            streamed = self._package(job, settings, Path(tmp), source_key, metadata)  # before the MP4s move
            results = []
            videos = settings["OutputGroups"][0]["Outputs"]
            for planned, output in zip(job.outputs, videos, strict=True):
                key = f"{base_key}{planned.name_modifier}{planned.extension}"
                target_store.adopt(key, Path(planned.path))
                video = output.get("VideoDescription") or {}
                results.append(JobOutput(target_store.uri(key), video.get("Width"), video.get("Height")))
            for store, path, key, size in streamed:  # the stream files are further outputs of the same job
                store.adopt(key, path)
                results.append(JobOutput(store.uri(key), *size))
        return tuple(results)

    def _package(self, job: FfmpegJob, settings: dict[str, Any], tmp: Path, source_key: str,
                 metadata: Mapping[str, str]) -> list[tuple[Store, Path, str, tuple[int | None, int | None]]]:
        """The CMAF group: remux the encoded tracks into HLS + DASH (no second encode)."""
        if job.stream is None:
            return []
        stage = tmp / STREAM_STAGE
        stage.mkdir()
        duration = source_duration_s(metadata)
        self.runner.run(job.stream.args(list(job.encoded), str(stage)),
                        timeout_s=run_budget_s(duration) if duration else None)  # bounded as the encode
        store, base_key = locate(stream_destination(settings, source_key), self.stores)
        sizes = stream_sizes(settings)
        base = posixpath.basename(base_key)
        files = finish_stream(job.stream, stage, base)
        for subtitle in job.stream.subtitles:  # the WebVTT files beside the tracks, then into the manifests
            caption_store, caption_key = locate(subtitle.source_uri, self.stores)
            with caption_store.readable(caption_key) as caption:
                shutil.copyfile(caption, stage / f"{base}{subtitle.name_modifier}.vtt")
        files = sorted(files + add_subtitles(stage, base, job.stream), key=publish_order)  # the master last
        return [(store, path, f"{base_key}{modifier}{extension}", sizes.get((modifier, extension), (None, None)))
                for path, modifier, extension in files]

    def _run(self, args: Sequence[str], metadata: Mapping[str, str]) -> None:
        duration = source_duration_s(metadata)
        budget = run_budget_s(duration) if duration else None  # a runaway input is stopped, as bad input
        progress = None if is_preview(metadata) else self.progress  # the bar follows the ladder
        if progress is None:
            self.runner.run(args, timeout_s=budget)
            return
        self.runner.run(args, duration_s=progress.duration_s(metadata) or duration, timeout_s=budget,
                        on_progress=lambda fraction: progress.update(metadata, fraction))

