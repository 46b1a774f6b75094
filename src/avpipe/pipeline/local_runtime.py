"""Running the event-driven pipeline in one process: the local stand-in for S3 triggers,
Lambda and EventBridge. Each run drains its own queue, so runs in threads never mix."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.mediainfo import probe as mediainfo_probe
from avpipe.config import Settings
from avpipe.errors import BadInputError
from avpipe.ffmpeg.locate import find_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.keys import INPUTS, AssetKeys
from avpipe.manifest.model import Manifest
from avpipe.manifest.repository import load_manifest
from avpipe.notify.base import Notifier
from avpipe.pipeline.context import PipelineContext, Templates, utc_now
from avpipe.pipeline.dispatch import dispatch
from avpipe.pipeline.events import Event, JobOutput, JobStateChange, ObjectCreated
from avpipe.pipeline.notifying_store import NotifyingStore
from avpipe.pipeline.retry import retry_source
from avpipe.storage.base import Store
from avpipe.storage.local import LocalStore
from avpipe.storage.registry import open_store
from avpipe.transcode.local import JobProgress, LocalTranscoder

log = logging.getLogger(__name__)


@dataclass
class LocalRuntime:
    """The pipeline wired for local runs: stores from settings, ffmpeg as the transcoder."""

    settings: Settings
    watch: Store
    public: Store
    runner: FfmpegRunner
    probe: Callable[[str], MediaFacts] = mediainfo_probe
    clock: Callable[[], datetime] = utc_now
    notifier: Notifier | None = None  # told of every finished job, in EventBridge's shape
    progress: JobProgress | None = None  # told how far each local transcode has got
    templates: Templates = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Templates.from_settings(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalRuntime:
        from avpipe.notify.registry import notifier_from_settings

        watch, public = open_store(settings.resolved_watch_url), open_store(settings.resolved_public_url)
        if isinstance(public, LocalStore):
            public.trusted = True  # only avpipe writes there: linked folders and hard-link snapshots are fine
        for store in (watch, public):  # start-up: what killed runs left behind goes
            store.sweep_temporary()
        return cls(settings, watch, public, FfmpegRunner(find_ffmpeg()),
                   notifier=notifier_from_settings(settings) or None)

    def context(self, emit: Callable[[Event], None]) -> PipelineContext:
        public = NotifyingStore(self.public, "public", emit)
        transcoder = LocalTranscoder(self.runner, [self.watch, public], emit, threads=self.settings.ffmpeg_threads,
                                     progress=self.progress)
        return PipelineContext(self.settings, self.watch, public, transcoder, self.runner, self.probe,
                               self.templates, self.clock)

    def run(self, event: Event) -> None:
        """Handle ``event`` and every event it causes, to completion."""
        from avpipe.cost.usage import measured, record_usage

        with measured() as usage:
            results = run_to_completion(self.context, event, self.notifier)
        record_usage(self.public, results, usage)
        if self.settings.measure_quality:
            from avpipe.quality.run import measure_after_local_run

            measure_after_local_run(self, results)

    def process_key(self, input_key: str) -> Manifest | None:
        """Run the pipeline on an upload already in the watch store; return its manifest."""
        self.run(ObjectCreated("watch", input_key))
        try:
            name = AssetKeys.for_input(input_key).name
        except BadInputError:
            return None  # a key no manifest can be named after; the handler logged why
        return load_manifest(self.public, name)

    def retry(self, name: str) -> Manifest | None:
        """Run the asset ``name`` again from its kept upload or its original."""
        key = retry_source(self.watch, self.public, name)
        self.run(ObjectCreated("watch", key, retry=True))
        return load_manifest(self.public, AssetKeys.for_input(key).name)

    def submit_file(self, path: str, name: str | None = None) -> str:
        """Copy a local file into ``inputs/`` (as an upload would) and return its key."""
        from pathlib import Path

        source = Path(path)
        key = INPUTS + (name or source.name)
        self.watch.put(key, source)
        return key


def run_to_completion(
    make_context: Callable[[Callable[[Event], None]], PipelineContext], event: Event, notifier: Notifier | None = None,
) -> list[tuple[Event, Manifest | None]]:
    """Dispatch ``event`` and every event the steps emit; notify each job outcome once handled.

    Returns each event with the manifest its step produced (None where it did nothing).
    """
    queue: deque[Event] = deque([event])
    ctx = make_context(queue.append)
    results: list[tuple[Event, Manifest | None]] = []
    while queue:
        current = queue.popleft()
        manifest = dispatch(ctx, current)
        results.append((current, manifest))
        if notifier is not None and isinstance(current, JobStateChange) and manifest is not None:
            notifier.notify(as_published(current, manifest, ctx.public.uri).to_eventbridge())
    return results


def as_published(event: JobStateChange, manifest: Manifest, uri: Callable[[str], str]) -> JobStateChange:
    """The job event as subscribers should see it: outputs at their published (not staging) places."""
    if event.status != "COMPLETE" or manifest.status != "complete":
        return event
    outputs = tuple(JobOutput(uri(o.key), o.width, o.height) for o in manifest.outputs)
    metadata = dict(event.user_metadata)
    if manifest.original_file is not None and manifest.original_file.sha256:
        metadata["originalSha256"] = manifest.original_file.sha256  # the asset's content identity
    return replace(event, outputs=outputs, user_metadata=metadata)
