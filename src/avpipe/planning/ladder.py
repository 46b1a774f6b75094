"""The rendition ladder: which rungs a source gets, and at which exact output size.

Rung ``R`` is the box ``(R*16/9) x R`` (transposed for portrait sources). A rung is
produced when the source's display size reaches the box in width or height. Each
output fits inside its box, keeps the display aspect ratio with square pixels, never
upscales and has even dimensions. A source that reaches no rung gets one rendition at
its own display size, named after its short side (``_144p``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from avpipe.errors import BadInputError

MIN_SIDE = 32  # MediaConvert's smallest output width/height


@dataclass(frozen=True)
class RenditionSize:
    """One planned rendition: its label height and its exact output size."""

    rung: int  # the label: 720 for "_720p"
    width: int
    height: int
    from_ladder: bool = True  # False for the single rendition of a source below every rung

    @property
    def name_modifier(self) -> str:
        return f"_{self.rung}p"


def box(rung: int, portrait: bool = False) -> tuple[int, int]:
    """The (width, height) box of a rung, e.g. 720 -> (1280, 720); 480 -> (854, 480)."""
    long_side = _even(rung * 16 / 9)
    return (rung, long_side) if portrait else (long_side, rung)


def plan_ladder(display_width: int, display_height: int, rungs: Iterable[int]) -> tuple[RenditionSize, ...]:
    """Every rendition for a source of this display size, smallest rung first."""
    if display_width < MIN_SIDE or display_height < MIN_SIDE:
        raise BadInputError(
            f"The video is {display_width}x{display_height} pixels; at least {MIN_SIDE}x{MIN_SIDE} is needed."
        )
    portrait = display_height > display_width
    sizes = []
    for rung in sorted(set(rungs)):
        box_w, box_h = box(rung, portrait)
        if display_width >= box_w or display_height >= box_h:
            w, h = fit(display_width, display_height, box_w, box_h)
            if min(w, h) >= MIN_SIDE:  # extreme aspect ratios can squeeze a rung below the minimum
                sizes.append(RenditionSize(rung, w, h))
    if sizes:
        return tuple(sizes)
    w, h = fit(display_width, display_height, display_width, display_height)
    if min(w, h) < MIN_SIDE:
        raise BadInputError(
            f"The video's {display_width}x{display_height} display size is too narrow to encode "
            f"(each side must be at least {MIN_SIDE} pixels)."
        )
    return (RenditionSize(min(w, h), w, h, from_ladder=False),)


def fit(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Largest even size inside the box and the source, with the source's aspect ratio."""
    scale = min(box_w / src_w, box_h / src_h, 1.0)
    max_w, max_h = _floor_even(min(box_w, src_w)), _floor_even(min(box_h, src_h))
    aspect = src_w / src_h
    if box_w / src_w <= box_h / src_h:  # the width limits: it is set first, the height follows
        w = min(max_w, _even(src_w * scale))
        h = min(max_h, _even(w / aspect))
    else:
        h = min(max_h, _even(src_h * scale))
        w = min(max_w, _even(h * aspect))
    return max(2, w), max(2, h)


def _even(value: float) -> int:
    """Nearest even integer (ties go up)."""
    return 2 * math.floor(value / 2 + 0.5)


def _floor_even(value: float) -> int:
    return 2 * math.floor(value / 2)
