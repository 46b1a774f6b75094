"""Bjøntegaard delta rate: the bits a ladder saves against another at equal quality (pure, no numpy).

Each ladder is a handful of (bitrate, VMAF) points. As in VCEG-M33, log10(bitrate) is fitted as
a cubic polynomial of quality (least squares; an exact fit through four points, a lower degree
with fewer), both fits are integrated over the quality range the two ladders share, and the
mean difference of log-rate is turned back into a ratio: ``(10 ** mean_diff - 1) * 100``.
Negative means the test ladder needs fewer bits for the same VMAF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]  # (bitrate in bit/s, VMAF)
MAX_DEGREE = 3


def polyfit(xs: Sequence[float], ys: Sequence[float], degree: int) -> list[float]:
    """Least-squares polynomial coefficients, lowest power first (normal equations, Gauss-Jordan)."""
    size = degree + 1
    pairs = list(zip(xs, ys, strict=True))
    matrix = [[sum(x ** (i + j) for x in xs) for j in range(size)] + [sum(y * x ** i for x, y in pairs)]
              for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda row: abs(matrix[row][col]))
        if abs(matrix[pivot][col]) < 1e-300:
            raise ValueError("the points do not determine a polynomial of that degree")
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        lead = matrix[col][col]
        matrix[col] = [value / lead for value in matrix[col]]
        for row in range(size):
            if row != col and matrix[row][col]:
                factor = matrix[row][col]
                matrix[row] = [a - factor * b for a, b in zip(matrix[row], matrix[col], strict=True)]
    return [matrix[i][size] for i in range(size)]


def integral(coefficients: Sequence[float], low: float, high: float) -> float:
    """The definite integral of the polynomial from ``low`` to ``high``."""
    return sum(c * (high ** (k + 1) - low ** (k + 1)) / (k + 1) for k, c in enumerate(coefficients))


def bd_rate(reference: Sequence[Point], test: Sequence[Point]) -> float | None:
    """Percent bitrate of ``test`` against ``reference`` at equal quality; None without a shared range.

    Quality is centred before fitting (better conditioned normal equations), which leaves the
    integral unchanged.
    """
    if len(reference) < 2 or len(test) < 2:
        return None
    low = max(min(q for _, q in reference), min(q for _, q in test))
    high = min(max(q for _, q in reference), max(q for _, q in test))
    if high - low <= 1e-9:
        return None
    centre = (low + high) / 2
    means = []
    for points in (reference, test):
        qualities = [q - centre for _, q in points]
        if len(set(qualities)) < 2:
            return None
        degree = min(MAX_DEGREE, len(set(qualities)) - 1)
        fit = polyfit(qualities, [math.log10(rate) for rate, _ in points], degree)
        means.append(integral(fit, low - centre, high - centre) / (high - low))
    return (10 ** (means[1] - means[0]) - 1) * 100


__all__ = ["bd_rate", "integral", "polyfit"]
