"""The two source rules, pure: never more bits than the source, no rungs above an upscale's real detail."""

from __future__ import annotations

import pytest

from avpipe.quality.bitrate_cap import cap_to_source, near_source
from avpipe.quality.upscale import (
    candidates_below,
    detail_height,
    judge,
    parse_psnr_stats,
    reference_height,
    roundtrips_args,
    roundtrips_graph,
    sample_points,
)


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
    # a 480p picture as 1080p: the round trip jumps at 480 (measured: 37.5 / 43.4 / 46.1 dB)
    verdict = judge((360, 480, 720, 1080), 1080, {240: 34.0, 360: 37.5, 480: 43.4, 720: 46.1})
    assert verdict.detail_height == 480
    assert (verdict.kept, verdict.dropped) == ((360, 480), (720, 1080))
    assert verdict.reason is not None and "no detail beyond 480p" in verdict.reason and "720p, 1080p" in verdict.reason


def test_a_native_source_keeps_every_rung_however_soft() -> None:
    soft_talking_head = {240: 35.5, 360: 37.9, 480: 40.2, 720: 43.1}  # good round trips, but no jump
    verdict = judge((360, 480, 720, 1080), 1080, soft_talking_head)
    assert verdict == judge((360, 480, 720, 1080), 1080, {}) and verdict.dropped == () and verdict.reason is None
    assert detail_height({360: 30.0, 480: 36.0}) is None  # a jump to a round trip that still loses much
    assert detail_height({360: 37.0, 480: 43.0}) == 480
    assert detail_height({}) is None


def test_the_lowest_rung_is_compared_with_a_height_below_it() -> None:
    assert reference_height((360, 480)) == 240
    assert candidates_below((360, 480, 720, 1080), 1920, 1080) == (240, 360, 480, 720)
    assert candidates_below((360, 480), 640, 360) == ()  # nothing below a 360p source's own size to try


def test_the_round_trip_graph_samples_keyframes_and_names_the_short_side() -> None:
    args = roundtrips_args("/s.mp4", (360, 480), 1920, 1080, ["/t/a.log", "/t/b.log"], duration_s=8.0)
    assert args.count("-skip_frame") == 8 and sample_points(8.0)[:2] == (0.5, 1.5)
    graph = args[args.index("-filter_complex") + 1]
    assert "concat=n=8" in graph and "split=4" in graph
    assert "scale=-2:480:flags=area,scale=1920:1080:flags=bicubic" in graph
    assert "scale=480:-2:flags=area" in roundtrips_graph((480,), 1080, 1920, ["/t/s.log"])
    assert sample_points(None) == (0.0,)


def test_psnr_stats_are_averaged_over_frames() -> None:
    stats = ("n:1 mse_avg:0.5 mse_y:0.4 psnr_avg:41.00 psnr_y:42.00 psnr_u:45 psnr_v:45\n"
             "n:2 mse_avg:0.0 mse_y:0.0 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf\n")
    assert parse_psnr_stats(stats) == pytest.approx(71.0)  # an identical frame counts as 100 dB
    assert parse_psnr_stats("") is None
