"""A rate-quality plot as a PNG, written with the standard library (zlib), no matplotlib.

Why not matplotlib: it and numpy would be the benchmark's largest dependencies by far for one
chart of a few lines; a PNG is a zlib stream of rows. The chart: log bitrate across, VMAF up,
one coloured polyline with dots per ladder, light grid lines at each decade/half-decade of
kb/s and every 10 VMAF, labels drawn with a 3x5 pixel font (digits and a few letters).
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

Colour = tuple[int, int, int]
COLOURS: tuple[Colour, ...] = ((220, 50, 40), (40, 90, 220), (30, 150, 60), (150, 60, 170))
WIDTH, HEIGHT, MARGIN = 640, 420, 44
GLYPHS = {  # 3x5, rows top to bottom, 3 bits each
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 3, 1, 7), "4": (5, 5, 7, 1, 1),
    "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 2, 2), "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7),
    ".": (0, 0, 0, 0, 2), "k": (4, 5, 6, 5, 5), "b": (4, 4, 7, 5, 7), "p": (0, 7, 5, 7, 4), "s": (0, 3, 6, 1, 6),
    "/": (1, 1, 2, 4, 4), "V": (5, 5, 5, 5, 2), "M": (5, 7, 7, 5, 5), "A": (2, 5, 7, 5, 5), "F": (7, 4, 6, 4, 4),
    " ": (0, 0, 0, 0, 0), "-": (0, 0, 7, 0, 0),
}


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(b"\xff" * (width * height * 3))

    def dot(self, x: int, y: int, colour: Colour) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            at = (y * self.width + x) * 3
            self.pixels[at:at + 3] = bytes(colour)

    def line(self, x0: int, y0: int, x1: int, y1: int, colour: Colour, thick: int = 1) -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x, y = round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)
            for dx in range(thick):
                for dy in range(thick):
                    self.dot(x + dx - thick // 2, y + dy - thick // 2, colour)

    def text(self, x: int, y: int, text: str, colour: Colour = (0, 0, 0), scale: int = 2) -> None:
        for index, char in enumerate(text):
            for row, bits in enumerate(GLYPHS.get(char, GLYPHS[" "])):
                for col in range(3):
                    if bits >> (2 - col) & 1:
                        for sx in range(scale):
                            for sy in range(scale):
                                self.dot(x + (index * 4 + col) * scale + sx, y + row * scale + sy, colour)

    def png(self) -> bytes:
        rows = b"".join(b"\x00" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3])
                        for y in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + \
            chunk(b"IEND", b"")


def rate_quality_png(curves: Mapping[str, Sequence[tuple[float, float]]]) -> bytes:
    """The chart of each named curve of (bit/s, VMAF) points, in :data:`COLOURS` order."""
    canvas = Canvas(WIDTH, HEIGHT)
    points = [p for curve in curves.values() for p in curve]
    low, high = (math.log10(min(r for r, _ in points)), math.log10(max(r for r, _ in points))) if points else (5, 7)
    low, high = math.floor(low * 2) / 2, math.ceil(high * 2) / 2 if high > low else low + 1
    q_low = min([q for _, q in points] + [100.0]) // 10 * 10 if points else 0

    def at(rate: float, vmaf: float) -> tuple[int, int]:
        x = MARGIN + (math.log10(rate) - low) / (high - low) * (WIDTH - 2 * MARGIN)
        y = HEIGHT - MARGIN - (vmaf - q_low) / max(100 - q_low, 1) * (HEIGHT - 2 * MARGIN)
        return round(x), round(y)
    grey = (225, 225, 225)
    for step in range(round((high - low) * 2) + 1):
        rate = 10 ** (low + step / 2)
        x, _ = at(rate, q_low)
        canvas.line(x, MARGIN, x, HEIGHT - MARGIN, grey)
        canvas.text(x - 10, HEIGHT - MARGIN + 8, f"{rate / 1000:.0f}")
    for level in range(int(q_low), 101, 10):
        _, y = at(10 ** low, level)
        canvas.line(MARGIN, y, WIDTH - MARGIN, y, grey)
        canvas.text(6, y - 5, str(level))
    canvas.line(MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN, (0, 0, 0))
    canvas.line(MARGIN, MARGIN, MARGIN, HEIGHT - MARGIN, (0, 0, 0))
    canvas.text(WIDTH - MARGIN - 40, HEIGHT - 16, "kb/s")
    canvas.text(6, 10, "VMAF")
    for colour, curve in zip(COLOURS, curves.values(), strict=False):
        ordered = sorted(curve)
        for (r0, q0), (r1, q1) in zip(ordered, ordered[1:], strict=False):
            canvas.line(*at(r0, q0), *at(r1, q1), colour, thick=2)
        for rate, vmaf in ordered:
            x, y = at(rate, vmaf)
            for dx in range(-3, 4):
                canvas.line(x + dx, y - 3, x + dx, y + 3, colour)
    return canvas.png()


def write_plot(path: Path, curves: Mapping[str, Sequence[tuple[float, float]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rate_quality_png(curves))
    return path
