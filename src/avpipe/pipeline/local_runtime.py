"""Running the event-driven pipeline in one process: the local stand-in for S3 triggers,
Lambda and EventBridge. Each run drains its own queue, so runs in threads never mix."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.mediainfo import probe as mediainfo_probe
from avpipe.config import Settings
from avpipe.errors import BadInputError, TransientError
from avpipe.ffmpeg.locate import find_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.keys import INPUTS, AssetKeys
from avpipe.logs import OUTCOME_LOGGER
from avpipe.manifest.model import Manifest, Status
from avpipe.manifest.repository import load_manifest
from avpipe.notify.base import Notifier
from avpipe.outcome import Outcome, outcome_of
from avpipe.pipeline.claims import ClaimState, settle
from avpipe.pipeline.context import PipelineContext, Templates, utc_now
from avpipe.pipeline.dispatch import dispatch
from avpipe.pipeline.events import Event, JobOutput, JobStateChange, ObjectCreated
from avpipe.pipeline.failures import record_failure
from avpipe.pipeline.notifying_store import NotifyingStore
from avpipe.pipeline.retry import check_retryable, retry_source
from avpipe.planning.preview import is_preview
from avpipe.storage.base import Store
from avpipe.storage.local import LocalStore
from avpipe.storage.registry import open_store
from avpipe.transcode.local import JobProgress, LocalTranscoder

log = logging.getLogger(__name__)
outcome_log = logging.getLogger(OUTCOME_LOGGER)  # one line per finished upload, shown at default verbosity
INTERRUPTED = "Processing was interrupted before it finished; retry it to start again."


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
    on_finished: Callable[[str, Outcome], None] | None = None  # told each upload's outcome; default: log it
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
        return self._process(ObjectCreated("watch", input_key))

    def retry(self, name: str, *, force: bool = False) -> Manifest | None:
        """Run the asset ``name`` again from its kept upload or its original (a complete one only with ``force``)."""
        check_retryable(self.public, name, force=force)
        key = retry_source(self.watch, self.public, name)
        return self._process(ObjectCreated("watch", key, retry=True))

    def _process(self, event: ObjectCreated) -> Manifest | None:
        started = time.monotonic()
        try:
            self.run(event)
        except KeyboardInterrupt:
            record_interrupted(self.context(lambda _event: None), event.key)
            raise
        try:
            manifest = load_manifest(self.public, AssetKeys.for_input(event.key).name)
        except BadInputError:
            manifest = None  # a key no manifest can be named after; the handler logged why
        outcome = outcome_of(event.key, manifest, time.monotonic() - started)
        (self.on_finished or (lambda _key, done: log_outcome(done)))(event.key, outcome)
        return manifest

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
    results: list[tuple[Event, Manifest | None]] = []

    def emit(emitted: Event) -> None:
        if isinstance(emitted, JobStateChange) and is_preview(emitted.user_metadata):
            # handled at once, as EventBridge delivers it while the ladder's job still runs
            results.append((emitted, dispatch(ctx, emitted)))
        else:
            queue.append(emitted)

    ctx = make_context(emit)
    while queue:
        current = queue.popleft()
        manifest = dispatch(ctx, current)
        results.append((current, manifest))
        if notifier is not None and isinstance(current, JobStateChange) and manifest is not None:
            notifier.notify(as_published(current, manifest, ctx.public.uri).to_eventbridge())
    return results


def log_outcome(outcome: Outcome) -> None:
    """The one line for a finished upload (``avpipe watch``, ``avpipe serve``): info, or error when it failed."""
    (outcome_log.info if outcome.ok else outcome_log.error)("%s", outcome.line())


def record_interrupted(ctx: PipelineContext, input_key: str) -> None:
    """Ctrl-C stopped the work on ``input_key``: record it as failed (transient, so retryable) and
    settle its claim, so nothing is left ``processing`` under a process that is gone."""
    try:
        keys = AssetKeys.for_input(input_key)
        info = ctx.watch.stat(input_key)
    except (BadInputError, FileNotFoundError):
        return  # nothing was started for it (or it was finished and removed)
    version = info.etag or f"size-{info.size}"
    previous = load_manifest(ctx.public, keys.name)
    mine = previous is not None and previous.source == input_key
    if mine and previous is not None and previous.status is Status.COMPLETE and previous.source_version == version:
        return  # it finished just before the interrupt
    settle(ctx.watch, input_key, version, ClaimState.FAILED, ctx.clock())
    record_failure(ctx, keys, previous.kind if mine and previous else "unsupported", TransientError(INTERRUPTED),
                   "processing", version=version, attempts=previous.attempts if mine and previous else 1)


def as_published(event: JobStateChange, manifest: Manifest, uri: Callable[[str], str]) -> JobStateChange:
    """The job event as subscribers should see it: outputs at their published (not staging) places."""
    if event.status != "COMPLETE" or manifest.status != "complete":
        return event
    outputs = tuple(JobOutput(uri(o.key), o.width, o.height) for o in manifest.outputs)
    metadata = dict(event.user_metadata)
    if manifest.original_file is not None and manifest.original_file.sha256:
        metadata["originalSha256"] = manifest.original_file.sha256  # the asset's content identity
    return replace(event, outputs=outputs, user_metadata=metadata)
