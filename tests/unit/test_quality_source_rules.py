"""The two source rules, pure: never more bits than the source, no rungs above an upscale's real detail."""

from __future__ import annotations

import pytest

from avpipe.quality.bitrate_cap import cap_to_source, near_source
from avpipe.quality.upscale import detail_height, judge, parse_ssim_stats, roundtrip_graph, sample_step


def test_a_rendition_at_the_source_size_is_capped_at_the_source_bitrate() -> None:
    capped = cap_to_source(1280, 720, 5_000_000, 10_000_000, source_width=1280, source_height=720,
                           source_bitrate=1_100_000)
    assert (capped.max_bitrate, capped.buffer_size) == (1_100_000, 2_200_000)  # buffer ratio kept
    assert capped.reason is not None and "1100 kb/s instead of 5000 kb/s" in capped.reason


def test_smaller_renditions_and_unknown_or_richer_sources_keep_the_template_cap() -> None:
    small = cap_to_source(854, 480, 2_500_000, 5_000_000, source_width=1280, source_height=720,
                          source_bitrate=1_100_000)
    assert (small.max_bitrate, small.reason) == (2_500_000, None)
    unknown = cap_to_source(1280, 720, 5_000_000, None, source_width=1280, source_height=720, source_bitrate=None)
    assert unknown.max_bitrate == 5_000_000
    rich = cap_to_source(1280, 720, 5_000_000, None, source_width=1280, source_height=720, source_bitrate=9_000_000)
    assert rich.max_bitrate == 5_000_000


@pytest.mark.parametrize(("size", "near"), [((1280, 720), True), ((1200, 700), True), ((854, 480), False)])
def test_near_the_source_means_three_quarters_of_its_pixels(size: tuple[int, int], near: bool) -> None:
    assert near_source(*size, 1280, 720) is near


def test_an_upscale_keeps_the_rungs_up_to_its_real_detail() -> None:
    verdict = judge((360, 480, 720, 1080), 1080, {360: 0.95, 480: 0.991, 720: 0.997})
    assert verdict.detail_height == 480
    assert (verdict.kept, verdict.dropped) == ((360, 480), (720, 1080))
    assert verdict.reason is not None and "no detail beyond 480p" in verdict.reason and "720p, 1080p" in verdict.reason


def test_a_native_source_keeps_every_rung() -> None:
    verdict = judge((360, 480, 720, 1080), 1080, {360: 0.90, 480: 0.93, 720: 0.96})
    assert verdict == judge((360, 480, 720, 1080), 1080, {}) and verdict.dropped == () and verdict.reason is None
    assert detail_height({}) is None


def test_the_round_trip_graph_names_the_short_side_and_samples_frames() -> None:
    landscape = roundtrip_graph(480, 1920, 1080, "/t/s.log", every_nth=5)
    assert "scale=-2:480:flags=area,scale=1920:1080:flags=bicubic" in landscape
    assert landscape.startswith(r"[0:v]select=not(mod(n\,5)),")
    assert "scale=480:-2:flags=area" in roundtrip_graph(480, 1080, 1920, "/t/s.log")
    assert sample_step(1000) == 20 and sample_step(None) == 1


def test_ssim_stats_are_averaged_over_frames() -> None:
    stats = "n:1 Y:0.99 U:0.99 V:0.99 All:0.990000 (20.0)\nn:2 Y:0.97 U:0.98 V:0.98 All:0.970000 (15.2)\n"
    assert parse_ssim_stats(stats) == pytest.approx(0.98)
    assert parse_ssim_stats("") is None
