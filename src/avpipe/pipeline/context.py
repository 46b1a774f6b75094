"""What every pipeline step is given: stores, transcoder, ffmpeg, probe, templates, clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from avpipe.analysis.facts import MediaFacts
from avpipe.config import Settings
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.planning.templates import JobTemplate, load_template
from avpipe.storage.base import Store
from avpipe.transcode.base import Transcoder

VIDEO_TEMPLATE = "job.json"
AUDIO_TEMPLATE = "audio_job.json"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Templates:
    video: JobTemplate
    audio: JobTemplate

    @classmethod
    def from_settings(cls, settings: Settings) -> Templates:
        return cls(load_template(settings.job_template, VIDEO_TEMPLATE),
                   load_template(settings.audio_job_template, AUDIO_TEMPLATE))


@dataclass(frozen=True)
class PipelineContext:
    settings: Settings
    watch: Store
    public: Store
    transcoder: Transcoder
    runner: FfmpegRunner  # for the frame grab, which runs where the pipeline runs
    probe: Callable[[str], MediaFacts]
    templates: Templates
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep  # backoff between retries; tests pass a recorder
