"""Every setting is checked when read: a bad value is a configuration error naming its variable."""

from __future__ import annotations

import pytest

from avpipe.config import Settings
from avpipe.errors import ConfigurationError


@pytest.mark.parametrize(("name", "value"), [
    ("AVPIPE_LOG_FORMAT", "xml"),
    ("AVPIPE_BACKEND", "lambda"),
    ("AVPIPE_TRANSIENT_RETRIES", "-1"),
    ("AVPIPE_TRANSIENT_RETRIES", "two"),
    ("AVPIPE_WORKERS", "0"),
    ("AVPIPE_WORKERS", "1.5"),
    ("AVPIPE_FFMPEG_THREADS", "-2"),
    ("AVPIPE_THUMBNAIL_SECONDS", "-1"),
    ("AVPIPE_THUMBNAIL_SECONDS", "nan"),
    ("AVPIPE_CLAIM_TTL_S", "0"),
    ("AVPIPE_MAX_DURATION_S", "-5"),
    ("AVPIPE_MAX_DURATION_S", "inf"),
    ("AVPIPE_MAX_DIMENSION", "0"),
    ("AVPIPE_MAX_FRAME_RATE", "0"),
    ("AVPIPE_MAX_INPUT_BYTES", "-1"),
    ("AVPIPE_WEBHOOK_URL", "ftp://example.com/hook"),
    ("AVPIPE_RUNGS", "360,999"),
    ("AVPIPE_WATCH_QUIET_S", "-1"),
    ("AVPIPE_WATCH_STABLE_POLLS", "0"),
    ("AVPIPE_QUALITY", "maybe"),
    ("AVPIPE_CAPTION_TIMEOUT_S", "0"),
])
def test_a_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value) and value.split(",")[-1] in str(caught.value)


def test_good_values_are_taken() -> None:
    settings = Settings.from_env({"AVPIPE_LOG_FORMAT": "json", "AVPIPE_TRANSIENT_RETRIES": "0",
                                  "AVPIPE_WORKERS": " 3 ", "AVPIPE_FFMPEG_THREADS": "0", "AVPIPE_CLAIM_TTL_S": "60"})
    assert (settings.log_format, settings.transient_retries, settings.workers, settings.ffmpeg_threads,
            settings.claim_ttl_s) == ("json", 0, 3, 0, 60.0)
