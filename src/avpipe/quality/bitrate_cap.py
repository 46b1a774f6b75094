"""Never spend more bits than the source has (pure; not wired into planning yet).

A rendition at or near the source's own size cannot look better than the source, so its
bitrate cap (MediaConvert's ``MaxBitrate``, the local ``-maxrate``) is lowered to the
source's video bitrate, with the HRD buffer scaled by the same factor so the template's
buffer-to-rate ratio (its burstiness) is kept. Smaller renditions keep their caps: they
are not "the source again", and their template caps are already below a typical source.

"Near" is at least :data:`NEAR_SOURCE` of the source's display pixels: a 720p rendition of
a 1280x720 source (100 %) or of a 1200x700 one is capped, a 480p rendition of it (44 %) is not.
"""

from __future__ import annotations

from dataclasses import dataclass

NEAR_SOURCE = 0.75  # share of the source's display pixels from which a rendition counts as "the source"
MIN_BITRATE = 1000  # MediaConvert's smallest MaxBitrate


@dataclass(frozen=True)
class CappedRate:
    max_bitrate: int
    buffer_size: int | None
    reason: str | None  # why the cap was lowered, for the manifest; None when unchanged


def near_source(width: int, height: int, source_width: int, source_height: int) -> bool:
    """Whether a ``width`` x ``height`` rendition is at or near the source's display size."""
    return width * height >= NEAR_SOURCE * source_width * source_height


def cap_to_source(
    width: int, height: int, max_bitrate: int, buffer_size: int | None, *,
    source_width: int, source_height: int, source_bitrate: int | None,
) -> CappedRate:
    """The rendition's cap and buffer after applying the source-bitrate rule."""
    unchanged = CappedRate(max_bitrate, buffer_size, None)
    if not source_bitrate or source_bitrate <= 0 or source_bitrate >= max_bitrate:
        return unchanged
    if not near_source(width, height, source_width, source_height):
        return unchanged
    capped = max(MIN_BITRATE, source_bitrate)
    buffer = None if buffer_size is None else max(MIN_BITRATE, round(buffer_size * capped / max_bitrate))
    reason = (f"capped at the source's video bitrate ({capped // 1000} kb/s instead of {max_bitrate // 1000} kb/s): "
              "a rendition at the source's size cannot look better than the source")
    return CappedRate(capped, buffer, reason)
