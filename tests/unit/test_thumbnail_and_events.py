from __future__ import annotations

import pytest

from avpipe.errors import BadInputError, ConfigurationError, TransientError
from avpipe.pipeline.events import JobOutput, JobStateChange
from avpipe.pipeline.job_state_change import classify_job_error
from avpipe.planning.thumbnail import thumbnail_args, thumbnail_size, thumbnail_time


@pytest.mark.parametrize(("duration", "expected"), [(60.0, 7.0), (7.5, 7.0), (7.0, 3.5), (0.5, 0.25), (None, 0.0)])
def test_thumbnail_time(duration: float | None, expected: float) -> None:
    assert thumbnail_time(duration, 7.0) == expected


def test_thumbnail_size_keeps_display_aspect_within_the_1080p_box() -> None:
    assert thumbnail_size(3840, 2160) == (1920, 1080)
    assert thumbnail_size(720, 1280) == (720, 1280)
    assert thumbnail_size(1024, 576) == (1024, 576)


def test_thumbnail_args_seek_before_the_input_and_read_only_local_files() -> None:
    args = thumbnail_args("/in.mp4", "/out.jpg", 7.0, 640, 360)
    assert args.index("-ss") < args.index("-i")
    assert args[args.index("-protocol_whitelist") + 1] == "file"
    assert "scale=640:360" in args[args.index("-vf") + 1] and args[-1] == "/out.jpg"


def test_job_state_change_round_trips_through_the_eventbridge_shape() -> None:
    event = JobStateChange("123-abc", "COMPLETE", {"asset": "a/b", "application": "avpipe"},
                           (JobOutput("s3://pub/audiovideo/a/b_720p.mp4", 1280, 720, 1000),))
    shaped = event.to_eventbridge(account="123456789012", region="eu-west-1")
    assert shaped["source"] == "aws.mediaconvert" and shaped["detail-type"] == "MediaConvert Job State Change"
    details = shaped["detail"]["outputGroupDetails"][0]["outputDetails"][0]
    assert details["outputFilePaths"] == ["s3://pub/audiovideo/a/b_720p.mp4"]
    assert details["videoDetails"] == {"widthInPx": 1280, "heightInPx": 720}
    assert JobStateChange.from_eventbridge(shaped) == event


@pytest.mark.parametrize(
    ("code", "category", "expected"),
    [(1010, None, BadInputError), (1401, None, ConfigurationError), (3450, None, TransientError),
     (None, "transient", TransientError), (1999, "configuration", ConfigurationError)],
)
def test_job_errors_are_classified(code: int | None, category: str | None, expected: type) -> None:
    event = JobStateChange("j", "ERROR", {}, error_code=code, error_message="It broke.", error_category=category)
    error = classify_job_error(event)
    assert type(error) is expected and str(error) == "It broke."


def test_ffmpeg_failures_are_classified() -> None:
    from avpipe.ffmpeg.runner import FfmpegResult, _failure

    full = _failure(FfmpegResult(1, "[out#0/mp4] Error writing trailer: No space left on device\n"))
    assert isinstance(full, TransientError) and "No space left on device" in str(full)
    broken = _failure(FfmpegResult(183, "moov atom not found\nout.mp4: Invalid data found when processing input\n"))
    assert isinstance(broken, BadInputError) and "moov atom" in str(broken) and "out.mp4" not in str(broken)
    killed = _failure(FfmpegResult(-9, ""))
    assert isinstance(killed, TransientError) and "SIGKILL" in str(killed)


@pytest.mark.parametrize(("stderr", "words"), [
    ("/srv/avpipe-data/watch/inputs/song.dsf: Invalid argument\n", "does not read this kind of file"),
    ("[in#0 @ 0x5] Error opening input: Invalid data found when processing input\n"
     "Error opening input file /tmp/avpipe-job-x/in.mp4.\n", "damaged"),
    ("Stream map '0:V:0' matches no streams.\n", "no audio or video stream"),
    ("[vost#0:0 @ 0x1] Decoder (codec av1) not found for input stream #0:0\n", "no decoder"),
    ("something nobody foresaw at /home/user/secret/path\n", "exited with an error"),
])
def test_ffmpeg_failure_reasons_never_quote_ffmpeg_or_a_path(stderr: str, words: str) -> None:
    from avpipe.ffmpeg.runner import FfmpegResult, _failure

    reason = str(_failure(FfmpegResult(1, stderr)))
    assert words in reason and "/" not in reason and "0x" not in reason and reason.endswith(".")
