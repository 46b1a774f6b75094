"""The benchmark's inputs, made with ffmpeg (and plain text for captions), cached in a folder.

- ``clip_1080p``: 30 s of 1080p30 H.264 High at ~16 Mbit/s with stereo AAC, like a phone
  or camera file. Film grain (``noise``) keeps it from being trivially cheap to decode and
  encode, as ``testsrc2`` alone would be.
- ``audio_mp3``: 10 min of stereo MP3 at 128 kbit/s.
- ``large``: an MP4 of at least ``large_mb`` MiB: a 4 s segment (1 s with ``--quick``) of noisy 1080p H.264 at
  ~120 Mbit/s (2 s GOPs, stereo AAC), encoded once with x264 ``ultrafast``, then repeated
  with ``-stream_loop`` and copied (no re-encode) into one file. The ``moov`` index stays
  at the end, as cameras write it, so analysing the file means seeking to its end.
  Encoding a real 1 GB clip would take minutes on two cores; copying takes seconds.
- ``long_talk``: 10 min of browser-safe 1080p (H.264 High + AAC), made like ``large``.
- ``camera_prores``: 30 s of 1080p ProRes 422 Proxy + PCM in QuickTime (not browser-safe).
- ``short_clips``: many 2 s 640x360 clips with audio (each gets one rendition).
- ``captions``: one long file per format (SRT, WebVTT, SCC, DFXP, SAMI) with ``cues`` cues.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from avpipe.bench import captions_text

MIB = 1024 * 1024


@dataclass(frozen=True)
class InputSizes:
    clip_seconds: float = 30.0
    audio_seconds: float = 600.0
    large_mb: int = 1024
    short_clips: int = 50
    caption_cues: int = 3000
    large_segment_seconds: float = 4.0
    long_seconds: float = 600.0  # the browser-safe talk of the time-to-playable case
    camera_seconds: float = 30.0  # its ProRes camera/editor file

    @classmethod
    def quick(cls) -> InputSizes:
        return cls(clip_seconds=1.0, audio_seconds=10.0, large_mb=8, short_clips=4, caption_cues=100,
                   large_segment_seconds=1.0, long_seconds=8.0, camera_seconds=2.0)


class Inputs:
    """Paths of the inputs in ``folder``; each is made the first time it is asked for."""

    def __init__(self, folder: Path, ffmpeg: str, sizes: InputSizes) -> None:
        self.folder = folder
        self.ffmpeg = ffmpeg
        self.sizes = sizes
        folder.mkdir(parents=True, exist_ok=True)

    def _run(self, *args: str) -> None:
        argv = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
        subprocess.run(argv, check=True)  # noqa: S603 - an argument list

    def _cached(self, name: str) -> tuple[Path, bool]:
        path = self.folder / name
        return path, path.is_file() and path.stat().st_size > 0

    def clip_1080p(self) -> Path:
        seconds = self.sizes.clip_seconds
        path, ready = self._cached(f"clip_1080p_{seconds:g}s.mp4")
        if not ready:
            self._run(*_grainy_av(1920, 1080, 30, seconds, grain=5),
                      "-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-b:v", "16M",
                      "-maxrate", "20M", "-bufsize", "32M", "-g", "60", "-bf", "2", "-pix_fmt", "yuv420p",
                      "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(path))
        return path

    def audio_mp3(self) -> Path:
        seconds = self.sizes.audio_seconds
        path, ready = self._cached(f"audio_{seconds:g}s.mp3")
        if not ready:
            self._run("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds:g}",
                      "-f", "lavfi", "-i", f"sine=frequency=554:sample_rate=44100:duration={seconds:g}",
                      "-filter_complex", "[0:a][1:a]join=inputs=2:channel_layout=stereo[a]", "-map", "[a]",
                      "-c:a", "libmp3lame", "-b:a", "128k", str(path))
        return path

    def large(self) -> Path:
        path, ready = self._cached(f"large_{self.sizes.large_mb}mb.mp4")
        if not ready:
            segment = self.folder / "large_segment.mp4"
            self._run(*_grainy_av(1920, 1080, 30, self.sizes.large_segment_seconds, grain=20),
                      "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "100M", "-maxrate", "100M",
                      "-bufsize", "200M", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
                      "-f", "mp4", str(segment))
            loops = max(0, math.ceil(self.sizes.large_mb * MIB / segment.stat().st_size) - 1)
            self._run("-stream_loop", str(loops), "-i", str(segment), "-c", "copy", "-f", "mp4", str(path))
            segment.unlink()
        return path

    def long_talk(self) -> Path:
        """A browser-safe 1080p30 upload of ``long_seconds`` (H.264 High, AAC, ~8 Mbit/s, moov first):
        a 4 s grainy segment encoded once, repeated with ``-stream_loop`` and copied."""
        seconds = self.sizes.long_seconds
        path, ready = self._cached(f"talk_1080p_{seconds:g}s.mp4")
        if not ready:
            segment = self.folder / "talk_segment.mp4"
            self._run(*_grainy_av(1920, 1080, 30, 4.0, grain=5), "-c:v", "libx264", "-preset", "superfast",
                      "-profile:v", "high", "-b:v", "8M", "-maxrate", "10M", "-bufsize", "16M", "-g", "60",
                      "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "mp4", str(segment))
            loops = max(0, math.ceil(seconds / 4.0) - 1)
            self._run("-stream_loop", str(loops), "-i", str(segment), "-t", f"{seconds:g}", "-c", "copy",
                      "-movflags", "+faststart", "-f", "mp4", str(path))
            segment.unlink()
        return path

    def camera_prores(self) -> Path:
        """``camera_seconds`` of 1080p30 ProRes 422 Proxy with PCM audio in QuickTime, as editors export."""
        seconds = self.sizes.camera_seconds
        path, ready = self._cached(f"camera_prores_{seconds:g}s.mov")
        if not ready:
            self._run(*_grainy_av(1920, 1080, 30, seconds, grain=5), "-c:v", "prores_ks", "-profile:v", "0",
                      "-pix_fmt", "yuv422p10le", "-c:a", "pcm_s16le", "-f", "mov", str(path))
        return path

    def short_clips(self) -> list[Path]:
        folder = self.folder / "short"
        folder.mkdir(exist_ok=True)
        first, ready = self._cached("short/clip_000.mp4")
        if not ready:
            self._run(*_grainy_av(640, 360, 25, 2.0, grain=3), "-c:v", "libx264", "-preset", "veryfast",
                      "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", str(first))
        paths = [first]
        for index in range(1, self.sizes.short_clips):
            path = folder / f"clip_{index:03d}.mp4"
            if not path.exists():
                path.write_bytes(first.read_bytes())  # 2 s of video: a few hundred kB
            paths.append(path)
        return paths

    def captions(self) -> dict[str, Path]:
        """One file per format: ``{"SRT": path, "WebVTT": ..., "SCC": ..., "DFXP": ..., "SAMI": ...}``."""
        cues = self.sizes.caption_cues
        files = {}
        for name, (extension, render) in captions_text.FORMATS.items():
            path, ready = self._cached(f"captions_{cues}.{extension}")
            if not ready:
                path.write_text(render(cues), encoding="utf-8")
            files[name] = path
        return files


def _grainy_av(width: int, height: int, rate: int, seconds: float, *, grain: int) -> list[str]:
    """ffmpeg input options: a moving test picture with film grain, and a stereo tone."""
    video = f"testsrc2=size={width}x{height}:rate={rate}:duration={seconds:g},noise=alls={grain}:allf=t+u"
    audio = f"sine=frequency=440:sample_rate=48000:duration={seconds:g}"
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
            "-filter_complex", "[1:a]aformat=channel_layouts=stereo[a]", "-map", "0:v", "-map", "[a]"]
