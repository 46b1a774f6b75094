"""Thumbnail planning: which moment and size, and the ffmpeg arguments to grab it."""

from __future__ import annotations

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


def thumbnail_size(display_width: int, display_height: int) -> tuple[int, int]:
    """The display size, capped to the 1080p box, with even sides."""
    box_w, box_h = box(THUMBNAIL_RUNG, portrait=display_height > display_width)
    return fit(display_width, display_height, box_w, box_h)


def thumbnail_args(source: str, output: str, at_s: float, width: int, height: int) -> list[str]:
    """Fast seek to ``at_s`` in the source, decode one frame, scale to square pixels, write a JPEG."""
    chain = f"yadif=deint=interlaced,scale={width}:{height}:flags=bicubic,setsar=1,format=yuvj420p"
    return ["-y", *input_options(source), "-ss", f"{at_s:.3f}", "-i", source,
            "-map", "0:V:0", "-frames:v", "1", "-vf", chain, "-q:v", str(JPEG_QUALITY),
            "-f", "image2", "-update", "1", output]
