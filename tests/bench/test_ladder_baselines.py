"""The ladder case's hand-written baseline uses exactly avpipe's encoder settings, rung by rung."""

from __future__ import annotations

from pathlib import Path

from avpipe.analysis.mediainfo import probe
from avpipe.bench.cases.ladder import one_command, rung_numbers
from avpipe.config import Settings
from avpipe.pipeline.context import Templates
from avpipe.planning.jobs import JobTarget, build_video_job
from avpipe.transcode.ffmpeg_args import ffmpeg_job
from avpipe.transcode.local import available_cores

ENCODER_OPTIONS = ("-c:v", "-preset", "-profile:v", "-crf", "-maxrate", "-bufsize", "-force_key_frames", "-flags",
                   "-bf", "-refs", "-c:a", "-b:a", "-ac", "-ar", "-threads")


def _per_output(args: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    """The encoder options of each output, split where a ``-map [vN]`` starts an output."""
    outputs: list[dict[str, str]] = []
    for index, arg in enumerate(args[:-1]):
        if arg == "-map" and args[index + 1].startswith("[v"):
            outputs.append({})
        elif outputs and arg in ENCODER_OPTIONS:
            outputs[-1][arg] = args[index + 1]
    return outputs


def test_one_command_baseline_matches_the_avpipe_job(media: object, tmp_path: Path) -> None:
    clip = str(media.landscape_1080p)  # type: ignore[attr-defined]
    settings = Settings(data_dir=tmp_path)
    target = JobTarget("file:///in/clip.mp4", "file:///out/clip", settings.mediaconvert_role_arn, {})
    request = build_video_job(Templates.from_settings(settings).video, probe(clip), settings.rungs, target).request
    rungs = rung_numbers(request)
    avpipe = _per_output(ffmpeg_job(request["Settings"], clip, str(tmp_path), cores=available_cores()).args)
    baseline = _per_output(one_command(clip, rungs, str(tmp_path)))
    assert len(avpipe) == 4
    assert baseline == avpipe

