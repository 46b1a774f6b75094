"""Thumbnail planning: which moment and size, and the ffmpeg arguments to grab it."""

from __future__ import annotations

from collections.abc import Mapping

from avpipe.ffmpeg.safety import input_options
from avpipe.planning.ladder import box, fit

THUMBNAIL_RUNG = 1080  # thumbnails fit inside the 1080p box at most
JPEG_QUALITY = 3  # ffmpeg -q:v, 2 (best) .. 31


def thumbnail_time(duration_s: float | None, preferred_s: float) -> float:
    """``preferred_s`` (7 s by default), or the middle of sources shorter than that."""
    if duration_s is None or duration_s <= 0:
        return 0.0
    if duration_s > preferred_s:
        return preferred_s
    return round(duration_s / 2, 3)


def thumbnail_moment(video: Mapping[str, object], media_duration_s: float | None, preferred_s: float) -> float:
    """Where to grab the frame, in seconds after the container's start (what ``-ss`` counts).

    The configured time (or the middle) of the *video stream*: its own length, not the
    container's (audio or subtitles may outlast it), and counted from the video's first
    frame (an MPEG-TS rarely starts at 0, and its video may start after its audio).
    """
    own = _number(video.get("duration_s"))
    start = _number(video.get("start_s")) or 0.0
    return round(max(0.0, start) + thumbnail_time(own if own else media_duration_s, preferred_s), 3)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def thumbnail_size(display_width: int, display_height: int) -> tuple[int, int]:
    """The display size, capped to the 1080p box, with even sides."""
    box_w, box_h = box(THUMBNAIL_RUNG, portrait=display_height > display_width)
    return fit(display_width, display_height, box_w, box_h)


def thumbnail_args(source: str, output: str, at_s: float, width: int, height: int, *,
                   accurate: bool = False) -> list[str]:
    """Seek to ``at_s`` in the source, decode one frame, scale to square pixels, write a JPEG.

    The fast form seeks the input (to the keyframe before ``at_s``, then decodes up to it);
    ``accurate`` decodes from the start and drops frames until ``at_s``: slower, but it
    finds the frame where an index or keyframe flags mislead the fast seek.
    """
    chain = f"yadif=deint=interlaced,scale={width}:{height}:flags=bicubic,setsar=1,format=yuvj420p"
    seek = ["-ss", f"{at_s:.3f}"]
    return ["-y", *input_options(source), *([] if accurate else seek), "-i", source, *(seek if accurate else []),
            "-map", "0:V:0", "-frames:v", "1", "-vf", chain, "-q:v", str(JPEG_QUALITY),
            "-f", "image2", "-update", "1", output]
