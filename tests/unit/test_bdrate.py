"""Bjøntegaard delta rate on ladders whose answer is known."""

from __future__ import annotations

import math

import pytest

from avpipe.quality.bdrate import bd_rate, integral, polyfit

REFERENCE = [(400_000.0, 70.0), (900_000.0, 82.0), (2_000_000.0, 90.0), (4_500_000.0, 95.0)]


def test_the_same_ladder_at_nine_tenths_of_the_bits_saves_ten_percent() -> None:
    test = [(rate * 0.9, vmaf) for rate, vmaf in REFERENCE]
    assert bd_rate(REFERENCE, test) == pytest.approx(-10.0, abs=1e-9)
    assert bd_rate(test, REFERENCE) == pytest.approx(100 / 0.9 - 100, abs=1e-9)
    assert bd_rate(REFERENCE, REFERENCE) == pytest.approx(0.0, abs=1e-12)


def test_only_the_shared_quality_range_counts() -> None:
    # log-rate linear in VMAF: rate = 10 ** (4 + q / 20); the test ladder is 20 % cheaper only above VMAF 80
    def rate(q: float, factor: float = 1.0) -> float:
        return factor * 10 ** (4 + q / 20)
    reference = [(rate(q), q) for q in (60, 70, 80, 90, 100)]
    test = [(rate(q, 0.8), q) for q in (80, 85, 90, 95)]  # overlap: 80..95
    assert bd_rate(reference, test) == pytest.approx(-20.0, abs=1e-6)


def test_a_mixed_ladder_averages_log_rate_over_the_range() -> None:
    # the test ladder halves the bits at the bottom and matches at the top: log10 ratio falls linearly from
    # log10(0.5) to 0 over the range, so its mean is log10(0.5) / 2 and the BD-rate is sqrt(0.5) - 1
    qualities = (70.0, 80.0, 90.0, 100.0)
    reference = [(10 ** (4 + q / 20), q) for q in qualities]
    test = [(r * 10 ** (math.log10(0.5) * (100 - q) / 30), q) for r, q in reference]
    assert bd_rate(reference, test) == pytest.approx((math.sqrt(0.5) - 1) * 100, abs=1e-6)


def test_no_shared_range_or_too_few_points_gives_none() -> None:
    assert bd_rate(REFERENCE, [(100_000.0, 40.0), (200_000.0, 50.0)]) is None
    assert bd_rate(REFERENCE, [(100_000.0, 80.0)]) is None


def test_polyfit_recovers_a_cubic_and_integrates_it() -> None:
    xs = [-2.0, -1.0, 0.5, 1.0, 3.0]
    coefficients = [1.0, -2.0, 0.5, 0.25]
    ys = [sum(c * x ** k for k, c in enumerate(coefficients)) for x in xs]
    assert polyfit(xs, ys, 3) == pytest.approx(coefficients, abs=1e-9)
    assert integral(coefficients, 0.0, 2.0) == pytest.approx(2 - 4 + 0.5 * 8 / 3 + 0.25 * 16 / 4)
