"""A caption CPU bomb costs one upload, not the pipeline (issue 10, item 10)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from avpipe.config import ENV_CAPTION_TIMEOUT_S, Settings
from avpipe.errors import ConfigurationError
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated method:DeprecationWarning:pycaption.*"
)


def slow_sami(cues: int) -> bytes:
    body = "".join(f"<SYNC Start={i * 10}><P Class=ENCC>w{i}\n" for i in range(cues))
    return (
        '<SAMI><HEAD><STYLE TYPE="text/css"><!-- .ENCC {lang: en-US;} --></STYLE></HEAD>'
        f"<BODY>{body}</BODY></SAMI>"
    ).encode()


def test_a_slow_caption_file_fails_as_bad_input_and_the_next_upload_converts(tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", caption_timeout_s=2))
    bomb = tmp_path / "bomb.smi"
    bomb.write_bytes(slow_sami(120_000))  # 4.8 MB, under the size limit; minutes for pycaption
    good = tmp_path / "good.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:02,000\nstill here\n")

    started = time.perf_counter()
    failed = runtime.process_key(runtime.submit_file(str(bomb)))
    elapsed = time.perf_counter() - started
    converted = runtime.process_key(runtime.submit_file(str(good)))

    assert failed is not None and failed.status is Status.FAILED and failed.error is not None
    assert (failed.error.category, failed.error.reason) == (
        "bad_input", "The caption file took longer than 2 s to convert, which avpipe does not allow.")
    assert elapsed < 30  # no transient retries of a bad input
    assert converted is not None and converted.status is Status.COMPLETE


def test_the_time_limit_is_configurable_and_checked() -> None:
    assert Settings.from_env({}).caption_timeout_s == 60.0
    assert Settings.from_env({ENV_CAPTION_TIMEOUT_S: "5"}).caption_timeout_s == 5.0
    with pytest.raises(ConfigurationError, match=ENV_CAPTION_TIMEOUT_S):
        Settings.from_env({ENV_CAPTION_TIMEOUT_S: "0"})
