"""Stream-level facts from ffmpeg itself, to check (and complete) what the container declares.

MediaInfo reports what headers say. Two short ffmpeg runs look at the streams: the first
decodes the first video frame (its real size, its timestamp, the container's start) and
the second copies the packets of the last seconds (their real timestamps). No ffprobe is
needed: the imageio-ffmpeg wheel carries ffmpeg alone.

:func:`reconcile` merges them into the facts: a video stream MediaInfo could not size gets
its size, rate and duration from ffmpeg (so it is routed as video, never as audio); the
decoded picture size replaces a declared one that lies; the duration is the longest audio
or video stream as the packets show it. Limits are then checked on these facts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from avpipe.analysis.facts import MediaFacts, VideoTrack
from avpipe.errors import UnsupportedMediaError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.ffmpeg.safety import input_options

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 120.0  # each run; a file that takes longer to open is refused
TAIL_S = 5.0  # how far before the declared end the packet timestamps are read
_START = re.compile(r"Duration: [^,]+, start: (-?\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"^\s*Stream #0:\d+\S*: Video: (\w+)(.*)$", re.M)
_SIZE = re.compile(r", (\d{1,6})x(\d{1,6})\b")
_FPS = re.compile(r", ([\d.]+) fps\b")
_SHOWINFO = re.compile(r"pts_time:\s*(-?[\d.]+).*?sar:(\d+)/(\d+) s:(\d+)x(\d+)")
_INPUT = re.compile(r"^Input #0,", re.M)
# Containers whose timestamps may jump (captures across a splice or a clock reset): ffmpeg's
# transcode smooths such jumps, so the packets' last timestamp may overstate the length. There a
# measured duration counts only when it is plausible next to the declared one; the transcode's
# read limit and time budget bound the rest.
DISCONTINUOUS = frozenset({"MPEG-TS", "BDAV", "MPEG-PS"})


@dataclass(frozen=True)
class StreamFacts:
    """What ffmpeg found in the streams (times in seconds, as the packets carry them)."""

    opened: bool  # ffmpeg could open the file at all
    start_s: float | None = None  # the container's start time
    video_codec: str | None = None
    width: int | None = None  # of the first decoded frame
    height: int | None = None
    pixel_aspect: float | None = None
    frame_rate: float | None = None
    video_start_s: float | None = None  # timestamp of the first decoded frame
    ends: dict[str, float] = field(default_factory=dict)  # "video"/"audio" -> end of the last packet

    @property
    def end_s(self) -> float | None:
        return max(self.ends.values(), default=None)


def stream_facts(runner: FfmpegRunner, source: str, declared_s: float | None) -> StreamFacts:
    """Run the two short ffmpeg passes over ``source``."""
    head = runner.inspect(head_args(source), loglevel="info", timeout_s=PROBE_TIMEOUT_S)
    facts = parse_head(head.stderr_head)
    if not facts.opened:
        return facts
    packets = _PacketEnds()
    runner.inspect(tail_args(source, declared_s), on_line=packets.feed, timeout_s=PROBE_TIMEOUT_S)
    return replace(facts, ends=packets.ends())


def head_args(source: str) -> list[str]:
    """Decode the first frame of the first video stream: coded size (not rotated), timestamps untouched."""
    return ["-copyts", "-noautorotate", "-threads", "1", *input_options(source), "-i", source,  # 1 thread: less memory
            "-map", "0:V:0?", "-an", "-sn", "-dn", "-frames:v", "1", "-vf", "showinfo", "-f", "null", "-"]


def tail_args(source: str, declared_s: float | None) -> list[str]:
    """Copy the packets of the last seconds (all of them when the duration is unknown) as frame CRCs."""
    seek = ["-sseof", f"-{TAIL_S:g}"] if declared_s and declared_s > TAIL_S else []
    return ["-copyts", *seek, *input_options(source), "-i", source, "-map", "0:V?", "-map", "0:a?",
            "-c", "copy", "-f", "framecrc", "-"]


def parse_head(stderr: str) -> StreamFacts:
    """Read ffmpeg's input dump and showinfo line."""
    if not _INPUT.search(stderr):
        return StreamFacts(opened=False)
    start = _START.search(stderr)
    video = next((m for m in _VIDEO.finditer(stderr) if "attached pic" not in m.group(2)), None)
    # with no real video stream, "-map 0:V:0?" maps nothing and ffmpeg picks a cover picture itself
    shown = _SHOWINFO.search(stderr) if video else None
    width = height = None
    pixel_aspect = None
    first = None
    if shown:
        first = float(shown.group(1))
        num, den = int(shown.group(2)), int(shown.group(3))
        pixel_aspect = num / den if num and den else None
        width, height = int(shown.group(4)), int(shown.group(5))
    size = _SIZE.search(video.group(2)) if video else None
    if not shown and size:
        width, height = int(size.group(1)), int(size.group(2))
    rate = _FPS.search(video.group(2)) if video else None
    return StreamFacts(
        opened=True,
        start_s=float(start.group(1)) if start else None,
        video_codec=video.group(1) if video else None,
        width=width, height=height, pixel_aspect=pixel_aspect,
        frame_rate=float(rate.group(1)) if rate else None,
        video_start_s=first,
    )


class _PacketEnds:
    """Follows framecrc lines: ``#tb N: a/b``, ``#media_type N: video``, then packets."""

    def __init__(self) -> None:
        self.time_base: dict[int, Fraction] = {}
        self.kind: dict[int, str] = {}
        self.end: dict[int, float] = {}

    def feed(self, line: str) -> None:
        if line.startswith("#tb "):
            index, _, value = line[4:].partition(":")
            num, _, den = value.strip().partition("/")
            if num.isdigit() and den.isdigit() and int(den):
                self.time_base[int(index)] = Fraction(int(num), int(den))
        elif line.startswith("#media_type "):
            index, _, value = line[12:].partition(":")
            self.kind[int(index)] = value.strip()
        elif line[:1].isdigit():
            fields = [part.strip() for part in line.split(",")]
            if len(fields) >= 4 and all(_is_int(part) for part in fields[:4]):
                stream, _dts, pts, duration = (int(part) for part in fields[:4])
                base = self.time_base.get(stream)
                if base is not None:
                    end = float((pts + max(duration, 0)) * base)
                    self.end[stream] = max(end, self.end.get(stream, end))

    def ends(self) -> dict[str, float]:
        result: dict[str, float] = {}
        for stream, end in self.end.items():
            kind = self.kind.get(stream, "")
            if kind in ("video", "audio"):
                result[kind] = max(end, result.get(kind, end))
        return result


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def verify_streams(runner: FfmpegRunner, source: str, facts: MediaFacts) -> MediaFacts:
    """``facts`` checked against the streams, for files MediaInfo found audio or video in."""
    if facts.video is None and not facts.audio and facts.unsized_video is None:
        return facts  # captions and unknown files: nothing for ffmpeg to check
    return reconcile(facts, stream_facts(runner, source, facts.duration_s))


def reconcile(facts: MediaFacts, streams: StreamFacts) -> MediaFacts:
    """``facts`` corrected by what the streams show (see the module docstring)."""
    if not streams.opened:
        what = facts.container or "this"
        raise UnsupportedMediaError(f"{what} files cannot be processed: ffmpeg cannot read them.")
    video = _video(facts.video, streams, facts.unsized_video)
    duration = facts.duration_s
    measured = _measured_duration(streams)
    if measured is not None and facts.container in DISCONTINUOUS and duration and measured > 2 * duration + 60:
        log.info("ignoring packet timestamps up to %.3f s in %s (declared %s s)", measured, facts.container, duration)
        measured = None
    if measured is not None and (duration is None or measured > duration):
        log.info("the streams last %.3f s; the container declares %s s", measured, duration)
        duration = round(measured, 3)
    return replace(facts, video=video, duration_s=duration, unsized_video=None,
                   video_track_count=max(facts.video_track_count, 1 if video else 0))


def _video(track: VideoTrack | None, streams: StreamFacts, unsized: str | None) -> VideoTrack | None:
    width, height = streams.width, streams.height
    if track is None:
        if not (width and height) or streams.video_start_s is None:  # no frame decoded: no video
            return None
        log.info("video stream without a size in MediaInfo: %dx%d from ffmpeg", width, height)
        track = VideoTrack(codec=unsized or streams.video_codec or "unknown", width=width, height=height,
                           pixel_aspect=streams.pixel_aspect or 1.0, frame_rate=streams.frame_rate)
    elif width and height and (width, height) != (track.width, track.height):
        log.warning("the container declares %dx%d; the decoded picture is %dx%d", track.width, track.height,
                    width, height)
        track = replace(track, width=width, height=height, pixel_aspect=streams.pixel_aspect or track.pixel_aspect)
    if track.frame_rate is None and streams.frame_rate:
        track = replace(track, frame_rate=streams.frame_rate)
    start = streams.video_start_s
    base = streams.start_s or 0.0
    end = streams.ends.get("video")
    return replace(track,
                   start_s=round(start - base, 3) if start is not None else track.start_s,
                   duration_s=round(end - start, 3) if start is not None and end is not None else track.duration_s)


def _measured_duration(streams: StreamFacts) -> float | None:
    end = streams.end_s
    if end is None:
        return None
    return max(0.0, end - (streams.start_s or 0.0))


__all__ = ["StreamFacts", "head_args", "parse_head", "reconcile", "stream_facts", "tail_args", "verify_streams"]
