"""Analysing an MP4 whose index comes last reads a small part of it, not all of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.bench.s3server import counting_moto_server, new_bucket, s3_client
from avpipe.storage.s3 import S3Store

from media import run_ffmpeg

pytestmark = pytest.mark.slow


def _camera_like_mp4(ffmpeg: str, path: Path) -> Path:
    """~30 MB of 1080p at a high bit rate with the moov atom at the end (no faststart)."""
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=3,noise=alls=20:allf=t+u",
               "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "80M", "-maxrate", "80M", "-bufsize", "160M",
               "-g", "30", "-pix_fmt", "yuv420p", "-f", "mp4", str(path))
    return path


def test_probe_of_a_presigned_url_reads_the_index_and_a_few_frames(media_ffmpeg: str, tmp_path: Path) -> None:
    clip = _camera_like_mp4(media_ffmpeg, tmp_path / "camera.mp4")
    size = clip.stat().st_size
    with counting_moto_server() as (endpoint, traffic):
        bucket = new_bucket(endpoint, "probe")
        s3_client(endpoint).upload_file(str(clip), bucket, "inputs/camera.mp4")
        store = S3Store(f"s3://{bucket}", s3_client(endpoint))
        before = traffic.snapshot()
        with store.readable("inputs/camera.mp4") as url:
            facts = probe(url)
        read = traffic.snapshot()["object_bytes_read"] - before["object_bytes_read"]
    assert facts.video is not None and (facts.video.width, facts.video.height) == (1920, 1080)
    assert facts.duration_s == pytest.approx(3.0, abs=0.1)
    assert read < 0.15 * size, f"read {read} of {size} bytes"
