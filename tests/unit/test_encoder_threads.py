"""Threads per encoder: the cores shared by output size, or what the user set, or ffmpeg's choice."""

from __future__ import annotations

from typing import Any

from avpipe.transcode.ffmpeg_args import encoder_threads, ffmpeg_job


def _output(width: int, height: int) -> dict[str, Any]:
    return {"NameModifier": f"_{height}p", "VideoDescription": {
        "Width": width, "Height": height,
        "CodecSettings": {"Codec": "H_264", "H264Settings": {"RateControlMode": "QVBR"}}}}


LADDER = [_output(640, 360), _output(854, 480), _output(1280, 720), _output(1920, 1080)]


def _settings(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Inputs": [{"FileInput": "in.mp4"}],
            "OutputGroups": [{"OutputGroupSettings": {"Type": "FILE_GROUP_SETTINGS",
                                                      "FileGroupSettings": {"Destination": "out"}},
                              "Outputs": outputs}]}


def _threads_per_output(args: tuple[str, ...]) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == "-threads"]


def test_on_two_cores_the_1080p_encoder_may_use_both() -> None:
    assert encoder_threads(LADDER, 2) == {0: 1, 1: 1, 2: 1, 3: 2}


def test_many_cores_are_shared_by_pixel_rate_rounded_up() -> None:
    shares = encoder_threads(LADDER, 16)
    assert shares == {0: 2, 1: 2, 2: 5, 3: 10}
    assert 16 <= sum(shares.values()) <= 16 + len(LADDER)  # far below x264's 1.5 x 16 per encoder


def test_audio_outputs_get_no_share_and_no_cores_means_ffmpegs_choice() -> None:
    audio = {"NameModifier": "", "AudioDescriptions": [{"CodecSettings": {"Codec": "MP3"}}]}
    assert encoder_threads([audio, _output(1920, 1080)], 4) == {1: 4}
    assert encoder_threads(LADDER, None) == {}


def test_ffmpeg_job_uses_the_shares_unless_threads_are_set() -> None:
    shared = ffmpeg_job(_settings(LADDER), "in.mp4", "out", cores=16).args
    assert _threads_per_output(shared) == ["2", "2", "5", "10"]
    fixed = ffmpeg_job(_settings(LADDER), "in.mp4", "out", threads=3, cores=16).args
    assert _threads_per_output(fixed) == ["3", "3", "3", "3"]
    assert _threads_per_output(ffmpeg_job(_settings(LADDER), "in.mp4", "out").args) == []
