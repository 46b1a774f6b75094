"""Duplicate, concurrent and late deliveries of one upload make exactly one job and one manifest."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from avpipe.config import Settings
from avpipe.manifest import Status, load_manifest
from avpipe.pipeline.claims import Claim, ClaimState, claim_key
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import ObjectCreated
from avpipe.pipeline.local_runtime import LocalRuntime

from media import MediaLibrary


class CountingRuntime(LocalRuntime):
    """The real local runtime; each transcode submission is also appended to a shared log file."""

    log_path: Path

    def context(self, emit: Any) -> PipelineContext:
        ctx = super().context(emit)
        inner, log_path = ctx.transcoder, self.log_path

        class Counting:
            name = inner.name

            def submit(self, request: dict[str, Any]) -> str:
                with open(log_path, "a", encoding="utf-8") as handle:
                    handle.write(f"{os.getpid()} {request['UserMetadata']['input']} "
                                 f"{request['UserMetadata'].get('role', 'ladder')}\n")
                return inner.submit(request)

        return PipelineContext(ctx.settings, ctx.watch, ctx.public, Counting(), ctx.runner, ctx.probe, ctx.templates,
                               ctx.clock, ctx.sleep)


def counting_runtime(data: Path) -> CountingRuntime:
    base = LocalRuntime.from_settings(Settings(data_dir=data, rungs=(360,)))
    runtime = CountingRuntime(base.settings, base.watch, base.public, base.runner)
    runtime.log_path = data / "submissions.log"
    return runtime


def submissions(data: Path, role: str = "ladder") -> list[str]:
    """The transcode jobs submitted (pid and input), of the ladder unless ``role`` says otherwise."""
    path = data / "submissions.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.rsplit(" ", 1)[0] for line in lines if line.rsplit(" ", 1)[1] == role]


def test_redelivery_after_success_is_a_no_op(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag
    first = runtime.process_key(key)
    assert first is not None and first.status is Status.COMPLETE
    runtime.watch.put(key, media.tiny)  # put back, as if S3 still held it...
    runtime.run(ObjectCreated("watch", key, etag=version))  # ...and re-delivered the same event
    assert len(submissions(tmp_path)) == 1 and len(submissions(tmp_path, "preview")) == 1
    assert load_manifest(runtime.public, "tiny") == first


def test_concurrent_deliveries_in_threads(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag
    barrier = threading.Barrier(6)

    def deliver() -> None:
        barrier.wait()
        runtime.run(ObjectCreated("watch", key, etag=version))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(submissions(tmp_path)) == 1
    manifest = load_manifest(runtime.public, "tiny")
    assert manifest is not None and manifest.status is Status.COMPLETE
    assert len(list(runtime.public.list("json/"))) == 1


def _deliver_in_process(data: str, key: str, version: str, start: Any) -> None:
    runtime = counting_runtime(Path(data))
    start.wait()
    runtime.run(ObjectCreated("watch", key, etag=version))


def test_concurrent_deliveries_in_processes(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_deliver_in_process, args=(str(tmp_path), key, version, start))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert len(submissions(tmp_path)) == 1
    manifest = load_manifest(runtime.public, "tiny")
    assert manifest is not None and manifest.status is Status.COMPLETE


def _dead_pid() -> int:
    process = multiprocessing.get_context("spawn").Process(target=int)
    process.start()
    process.join()
    assert process.pid is not None
    return process.pid


@pytest.mark.parametrize("holder", ["dead-local-process", "expired-remote-worker"])
def test_a_crashed_holder_is_taken_over_and_the_job_finishes(tmp_path: Path, media: MediaLibrary, holder: str) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag or ""
    past = datetime.now(UTC) - timedelta(minutes=1)
    owner = f"{socket.gethostname()}:{_dead_pid()}" if holder == "dead-local-process" else "lambda-host:7"
    expires = (past if holder == "expired-remote-worker" else past + timedelta(hours=5)).isoformat()
    crashed = Claim(key, version, ClaimState.RUNNING, owner, expires.replace("+00:00", "Z"))
    runtime.watch.put(claim_key(key, version), json.dumps(crashed.__dict__).encode())
    runtime.run(ObjectCreated("watch", key, etag=version))
    manifest = load_manifest(runtime.public, "tiny")
    assert manifest is not None and manifest.status is Status.COMPLETE and manifest.attempts == 2
    claim = json.loads(runtime.watch.read_bytes(claim_key(key, version)))
    assert claim["state"] == "done"


def test_a_live_claim_elsewhere_is_respected(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag or ""
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    runtime.watch.put(claim_key(key, version),
                      json.dumps(Claim(key, version, ClaimState.RUNNING, "lambda-host:7", future).__dict__).encode())
    runtime.run(ObjectCreated("watch", key, etag=version))
    assert submissions(tmp_path) == [] and load_manifest(runtime.public, "tiny") is None


def test_a_failed_version_is_not_retried_by_redelivery_but_by_retry(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.corrupt_mp4))
    first = runtime.process_key(key)
    assert first is not None and first.status is Status.FAILED
    assert runtime.process_key(key) == first, "re-delivery of a failed version changes nothing"
    again = runtime.retry("corrupt")
    assert again is not None and again.status is Status.FAILED and again.attempts == 2


def _running_claim(runtime: LocalRuntime, key: str, version: str, holder: str) -> None:
    far = (datetime.now(UTC) + timedelta(hours=5)).isoformat().replace("+00:00", "Z")  # the TTL is far off
    runtime.watch.put(claim_key(key, version), json.dumps(Claim(key, version, ClaimState.RUNNING, holder,
                                                               far).__dict__).encode())


@pytest.mark.parametrize("mark", ["", ":t1", ":0123456789abcdef"])
def test_a_claim_of_an_earlier_process_with_our_pid_is_taken_over(
    tmp_path: Path, media: MediaLibrary, mark: str
) -> None:
    """pid 1 in a restarted container: same host, same pid, another process (old claims have no mark)."""
    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag or ""
    _running_claim(runtime, key, version, f"{socket.gethostname()}:{os.getpid()}{mark}")
    runtime.run(ObjectCreated("watch", key, etag=version))
    manifest = load_manifest(runtime.public, "tiny")
    assert manifest is not None and manifest.status is Status.COMPLETE and manifest.attempts == 2


def test_a_reused_pid_is_not_the_claims_holder_but_the_live_holder_is(tmp_path: Path, media: MediaLibrary) -> None:
    import subprocess
    import sys

    from avpipe.pipeline.claims import _process_mark

    runtime = counting_runtime(tmp_path)
    key = runtime.submit_file(str(media.tiny))
    version = runtime.watch.stat(key).etag or ""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mark = _process_mark(other.pid)
        if mark is None:
            pytest.skip("process start times are not readable here (no /proc)")
        _running_claim(runtime, key, version, f"{socket.gethostname()}:{other.pid}:{mark}")
        runtime.run(ObjectCreated("watch", key, etag=version))
        assert submissions(tmp_path) == [], "the live holder keeps its claim"
        _running_claim(runtime, key, version, f"{socket.gethostname()}:{other.pid}:t1")  # pid reused since
        runtime.run(ObjectCreated("watch", key, etag=version))
        assert len(submissions(tmp_path)) == 1
    finally:
        other.kill()
        other.wait()
