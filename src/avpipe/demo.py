"""``avpipe demo``: make a short sample video and caption file, so a newcomer sees the
whole pipeline run without bringing media of their own."""

from __future__ import annotations

from pathlib import Path

from avpipe.ffmpeg.runner import FfmpegRunner

DEMO_SECONDS = 10
DEMO_SRT = """1
00:00:00,500 --> 00:00:03,000
Welcome to avpipe.

2
00:00:03,500 --> 00:00:07,000
This clip was made by ffmpeg's test source,
then put through the whole pipeline.

3
00:00:07,500 --> 00:00:09,500
Voilà: renditions, a thumbnail and captions.
"""


def demo_video_args(output: Path, seconds: int = DEMO_SECONDS) -> list[str]:
    """A 1280x720 test pattern with a stereo tone, as an H.264/AAC MP4."""
    return ["-y", "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-ac", "2", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(output)]


def make_demo_files(runner: FfmpegRunner, folder: Path) -> list[Path]:
    """Write ``avpipe-demo.mp4`` and its captions ``avpipe-demo.srt`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "avpipe-demo.mp4"
    runner.run(demo_video_args(video))
    captions = folder / "avpipe-demo.srt"
    captions.write_text(DEMO_SRT, encoding="utf-8")
    return [video, captions]
