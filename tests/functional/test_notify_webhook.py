"""The webhook notifier against a real HTTP server on 127.0.0.1, and the local runtime
telling it about a finished job in EventBridge's shape."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from avpipe.config import Settings
from avpipe.errors import ConfigurationError, TransientError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.notify import NotifierGroup, notifier_from_settings
from avpipe.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier, sign, verify_signature
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.storage import LocalStore

SECRET = "s3cr3t-ключ"
EVENT = {"version": "0", "source": "aws.mediaconvert", "detail-type": "MediaConvert Job State Change",
         "detail": {"status": "COMPLETE", "jobId": "j1", "userMetadata": {"asset": "talk é"}}}


@dataclass
class Receiver:
    """What the test server saw, and the statuses it answers with (then 204 for the rest)."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(state.answers.pop(0) if state.answers else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/avpipe"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def verified(headers: dict[str, str], body: bytes) -> bool:
    return verify_signature(SECRET, body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=time.time())


def test_delivery_is_signed_over_timestamp_and_body(receiver: Receiver) -> None:
    WebhookNotifier(receiver.url, SECRET).notify(EVENT)
    [(headers, body)] = receiver.received
    assert json.loads(body) == EVENT
    assert headers["Content-Type"] == "application/json"
    assert verified(headers, body)
    assert not verify_signature("other secret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER],
                                now=time.time())
    assert not verify_signature(SECRET, body + b" ", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER],
                                now=time.time())


def test_a_server_error_is_retried_after_a_backoff(receiver: Receiver) -> None:
    receiver.answers = [500, 503]
    waits: list[float] = []
    WebhookNotifier(receiver.url, SECRET, sleep=waits.append).notify(EVENT)
    assert len(receiver.received) == 3 and waits == [1.0, 2.0]
    assert all(verified(headers, body) for headers, body in receiver.received)


def test_retries_run_out_as_a_transient_error(receiver: Receiver) -> None:
    receiver.answers = [500, 500, 500]
    with pytest.raises(TransientError, match="HTTP 500"):
        WebhookNotifier(receiver.url, SECRET, attempts=3, sleep=lambda _s: None).notify(EVENT)
    assert len(receiver.received) == 3


def test_a_refusal_is_not_retried(receiver: Receiver) -> None:
    receiver.answers = [401]
    with pytest.raises(ConfigurationError, match="HTTP 401"):
        WebhookNotifier(receiver.url, SECRET, sleep=lambda _s: pytest.fail("no retry expected")).notify(EVENT)
    assert len(receiver.received) == 1


def test_an_unreachable_webhook_is_transient_and_a_group_only_logs_it() -> None:
    notifier = WebhookNotifier("http://127.0.0.1:9/nothing", SECRET, attempts=2, sleep=lambda _s: None)
    with pytest.raises(TransientError, match="could not be reached"):
        notifier.notify(EVENT)
    assert NotifierGroup([notifier]).deliver(EVENT) == ["webhook"]


def test_old_or_malformed_timestamps_fail_verification() -> None:
    body = b"{}"
    assert verify_signature(SECRET, body, "1000", sign(SECRET, "1000", body), now=1200)
    assert not verify_signature(SECRET, body, "1000", sign(SECRET, "1000", body), now=2000)
    assert not verify_signature(SECRET, body, "soon", sign(SECRET, "soon", body), now=1000)


def test_settings_choose_the_notifiers(receiver: Receiver) -> None:
    assert not notifier_from_settings(Settings())
    group = notifier_from_settings(Settings.from_env({"AVPIPE_WEBHOOK_URL": receiver.url,
                                                      "AVPIPE_WEBHOOK_SECRET": SECRET}))
    assert [n.name for n in group.notifiers] == ["webhook"]
    with pytest.raises(ConfigurationError):
        Settings.from_env({"AVPIPE_WEBHOOK_URL": "ftp://example.invalid/x"})


def test_local_runtime_posts_the_job_event(receiver: Receiver, media: Any, ffmpeg_exe: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rungs=(360,), webhook_url=receiver.url, webhook_secret=SECRET)
    runtime = LocalRuntime(settings, LocalStore(tmp_path / "watch"), LocalStore(tmp_path / "public"),
                           FfmpegRunner(ffmpeg_exe), notifier=notifier_from_settings(settings))
    key = runtime.submit_file(str(media.tiny), "talk é.mp4")
    manifest = runtime.process_key(key)
    assert manifest is not None and manifest.status == "complete"
    [(headers, body)] = receiver.received
    assert verified(headers, body)
    event = json.loads(body)
    assert event["source"] == "aws.mediaconvert" and event["detail-type"] == "MediaConvert Job State Change"
    assert event["detail"]["status"] == "COMPLETE"
    assert event["detail"]["userMetadata"]["asset"] == "talk é"
    assert event["detail"]["jobId"] == manifest.job["id"]  # type: ignore[index]
    paths = event["detail"]["outputGroupDetails"][0]["outputDetails"][0]["outputFilePaths"]
    assert paths == [(tmp_path / "public" / "audiovideo" / "talk é_90p.mp4").as_uri()]
