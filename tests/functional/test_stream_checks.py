"""What the streams say, not only the headers: limits on real timestamps and decoded sizes,
bounded ffmpeg runs, video MediaInfo could not size, audio formats beyond the usual, the
duration of the media rather than of a subtitle track."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.analysis.routing import Route, route
from avpipe.analysis.streams import verify_streams
from avpipe.config import MediaLimits, Settings
from avpipe.errors import BadInputError
from avpipe.ffmpeg.runner import FfmpegResult, FfmpegRunner
from avpipe.manifest import Manifest, Status
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.planning.bounds import read_limit_s, run_budget_s

import crafted_media
from media import MediaLibrary

Crafted = Callable[[str, str], Path]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> Crafted:
    """``crafted("late_tables_ts", ".ts")``: the file ``crafted_media.make_late_tables_ts`` writes, made once."""
    folder = tmp_path_factory.mktemp("crafted")
    made: dict[str, Path] = {}

    def get(name: str, suffix: str) -> Path:
        if name not in made:
            made[name] = getattr(crafted_media, f"make_{name}")(media_ffmpeg, folder / f"{name}{suffix}")
        return made[name]

    return get


def _process(tmp_path: Path, upload: Path, **settings: Any) -> tuple[LocalRuntime, Manifest]:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", **settings))
    manifest = runtime.process_key(runtime.submit_file(str(upload)))
    assert manifest is not None
    return runtime, manifest


def test_frames_far_beyond_the_declared_duration_fail_the_duration_limit(tmp_path: Path, crafted: Crafted) -> None:
    upload = crafted("timestamp_gap_mkv", ".mkv")
    assert probe(upload).duration_s == 1.0, "the container declares 1 s"
    started = time.monotonic()
    runtime, manifest = _process(tmp_path, upload)
    assert manifest.status is Status.FAILED and manifest.error is not None
    assert manifest.error.category == "bad_input"
    assert "lasts 100000" in manifest.error.reason and "limit is 21600" in manifest.error.reason
    assert time.monotonic() - started < 30
    assert not list(Path(runtime.public.url).glob("audiovideo/**/*.mp4"))


def test_patched_picture_sizes_are_checked_on_the_decoded_picture(tmp_path: Path, crafted: Crafted) -> None:
    upload = crafted("lying_dimensions_mp4", ".mp4")
    video = probe(upload).video
    assert video is not None and (video.width, video.height) == (32, 24), "the headers say 32x24"
    _, manifest = _process(tmp_path, upload, limits=MediaLimits(max_dimension=100))
    assert manifest.status is Status.FAILED and manifest.error is not None
    assert "320x240 pixels; the limit is 100" in manifest.error.reason


def test_the_ladder_is_planned_from_the_decoded_size(tmp_path: Path, crafted: Crafted) -> None:
    _, manifest = _process(tmp_path, crafted("lying_dimensions_mp4", ".mp4"))
    assert manifest.status is Status.COMPLETE
    assert manifest.media is not None and (manifest.media["video"]["width"], manifest.media["video"]["height"]) == \
        (320, 240)


def test_a_run_past_its_budget_is_stopped_as_bad_input(ffmpeg_exe: str) -> None:
    runner = FfmpegRunner(ffmpeg_exe)
    endless = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "null", "-"]
    for progress in (None, lambda fraction: None):
        started = time.monotonic()
        with pytest.raises(BadInputError, match="time budget"):
            runner.run(endless, timeout_s=1, on_progress=progress, duration_s=1.0)
        assert time.monotonic() - started < 10


class _Recording(FfmpegRunner):
    """The real ffmpeg, with every run's arguments and budget noted."""

    def __init__(self, executable: str) -> None:
        super().__init__(executable)
        self.runs: list[tuple[list[str], float | None]] = []

    def run(self, args: Sequence[str], *, timeout_s: float | None = None, **kwargs: Any) -> FfmpegResult:
        self.runs.append((list(args), timeout_s))
        return super().run(args, timeout_s=timeout_s, **kwargs)


def test_every_ffmpeg_run_of_an_upload_is_bounded(tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str) -> None:
    runner = _Recording(ffmpeg_exe)
    runtime = dataclasses.replace(LocalRuntime.from_settings(Settings(data_dir=tmp_path)), runner=runner)
    manifest = runtime.process_key(runtime.submit_file(str(media.tiny)))
    assert manifest is not None and manifest.status is Status.COMPLETE and manifest.thumbnail
    assert len(runner.runs) == 4 and all(budget for _, budget in runner.runs), \
        "the preview, the ladder, its HLS/DASH remux and the thumbnail"
    ladder = next(args for args, _ in runner.runs if "-filter_complex" in args)
    assert ladder[ladder.index("-i") - 2:ladder.index("-i")] == ["-t", f"{read_limit_s(0.5):.3f}"]
    assert (ladder, run_budget_s(0.5)) in runner.runs


def test_a_video_stream_mediainfo_cannot_size_is_video(tmp_path: Path, crafted: Crafted, ffmpeg_exe: str) -> None:
    upload = crafted("late_tables_ts", ".ts")
    facts = probe(upload)
    assert facts.video is None and facts.unsized_video == "AVC", "MediaInfo sees AVC without a size"
    checked = verify_streams(FfmpegRunner(ffmpeg_exe), str(upload), facts)
    assert route(checked) is Route.VIDEO
    assert checked.video is not None and (checked.video.width, checked.video.height) == (320, 240)
    assert checked.video.frame_rate == 25
    assert checked.duration_s is not None and 0.6 <= checked.duration_s <= 0.8
    _, manifest = _process(tmp_path, upload)
    assert (manifest.kind, manifest.status) == ("video", Status.COMPLETE)
    assert manifest.thumbnail and any(o.key.endswith(".mp4") for o in manifest.outputs)


@pytest.mark.parametrize(("name", "suffix"), [("dsf", ".dsf"), ("tta", ".tta")])
def test_audio_containers_beyond_the_usual_become_mp3(tmp_path: Path, crafted: Crafted, name: str,
                                                      suffix: str) -> None:
    _, manifest = _process(tmp_path, crafted(name, suffix))
    assert (manifest.kind, manifest.status) == ("audio", Status.COMPLETE), manifest.error
    assert any(o.key.endswith(".mp3") for o in manifest.outputs)


def test_a_format_ffmpeg_cannot_read_is_refused_naming_it(tmp_path: Path, crafted: Crafted) -> None:
    upload = crafted("midi", ".mid")
    _, manifest = _process(tmp_path, upload)
    assert manifest.status is Status.FAILED and manifest.error is not None
    assert manifest.error.reason == "MIDI files cannot be processed: ffmpeg cannot read them."


def test_the_duration_is_the_media_not_a_longer_subtitle_track(tmp_path: Path, crafted: Crafted) -> None:
    upload = crafted("long_subtitle_mkv", ".mkv")
    facts = probe(upload)
    assert facts.duration_s is not None and facts.duration_s < 1.5, facts.duration_s
    _, manifest = _process(tmp_path, upload)
    assert manifest.media is not None and manifest.media["duration_s"] < 1.5
