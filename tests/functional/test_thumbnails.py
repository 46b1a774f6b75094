"""The thumbnail is the video's own frame at the configured time (or the middle of the video
stream when it is shorter), checked against the frame decoded in full at that time by PSNR.
Every frame of these clips has another hue, so the frame taken is told apart by the numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.config import Settings
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.planning.thumbnail import thumbnail_moment

import crafted_media

MATCH_DB = 30.0  # the JPEG against the frame it was made from
MARGIN_DB = 3.0  # and clearly closer to it than to the first frame


@pytest.mark.parametrize(("maker", "suffix", "seconds", "frame_index"), [
    ("offset_ts", ".ts", 1.0, 10),  # MPEG-TS whose timestamps start at 10 s: 1 s into its video
    ("late_video_ts", ".ts", 1.0, 10),  # its video starts 1.5 s after its audio: 1 s into the video
    ("short_video_long_audio", ".mp4", 7.0, 5),  # 1 s of video in a 4 s file: the video's middle
    ("rotated_turning_mov", ".mov", 1.0, 10),  # rotated for display: the same frame, turned
])
def test_the_thumbnail_is_the_frame_at_the_video_streams_own_time(
        tmp_path: Path, media_ffmpeg: str, maker: str, suffix: str, seconds: float, frame_index: int) -> None:
    upload = getattr(crafted_media, f"make_{maker}")(media_ffmpeg, tmp_path / f"{maker}{suffix}")
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", thumbnail_seconds=seconds))
    manifest = runtime.process_key(runtime.submit_file(str(upload)))
    assert manifest is not None and manifest.status is Status.COMPLETE and manifest.thumbnail, manifest
    assert manifest.media is not None
    video = manifest.media["video"]
    jpeg = Path(runtime.public.url) / manifest.thumbnail
    size = (video["display_width"], video["display_height"])
    expected = crafted_media.frame(media_ffmpeg, upload, frame_index, *size, tmp_path / "expected.jpg")
    first = crafted_media.frame(media_ffmpeg, upload, 0, *size, tmp_path / "first.jpg")
    match = crafted_media.psnr(media_ffmpeg, jpeg, expected)
    versus_first = crafted_media.psnr(media_ffmpeg, jpeg, first)
    assert match > MATCH_DB and match > versus_first + MARGIN_DB, (match, versus_first)


def test_the_moment_counts_from_the_video_streams_start_and_length() -> None:
    video = {"start_s": 1.5, "duration_s": 4.0}
    assert thumbnail_moment(video, 20.0, 7.0) == 3.5, "the middle of 4 s of video, after 1.5 s"
    assert thumbnail_moment({"start_s": 0.2, "duration_s": 60.0}, 60.0, 7.0) == 7.2
    assert thumbnail_moment({}, 10.0, 7.0) == 7.0, "without stream facts: the media's duration"
