"""The VMAF plan: both sides at the source's display size, libvmaf's log read into mean and 5th percentile."""

from __future__ import annotations

import json

import pytest

from avpipe.analysis.facts import VideoTrack
from avpipe.errors import BadInputError
from avpipe.quality.graph import comparison_size, escape_value, filter_graph, parse_log, percentile, vmaf_args


def test_a_rotated_source_is_compared_upright() -> None:
    portrait = VideoTrack("AVC", 1920, 1080, rotation=90, frame_rate=30)
    assert comparison_size(portrait) == (1080, 1920)
    assert "scale=1080:1920" in filter_graph(portrait, "/tmp/v.json")


def test_an_anamorphic_source_is_compared_at_its_display_width() -> None:
    dvd = VideoTrack("MPEG Video", 720, 576, pixel_aspect=16 / 11.25, frame_rate=25)  # 16:9 PAL
    width, height = comparison_size(dvd)
    assert (width, height) == (1024, 576)
    graph = filter_graph(dvd, "/tmp/v.json")
    assert graph.count("scale=1024:576:flags=bicubic,setsar=1") == 2  # the rendition and the source


def test_the_rendition_is_the_main_input_and_the_source_the_reference() -> None:
    args = vmaf_args("src.mov", "out_360p.mp4", VideoTrack("AVC", 1280, 720), "/tmp/v.json")
    inputs = [args[i + 1] for i, a in enumerate(args) if a == "-i"]
    assert inputs == ["out_360p.mp4", "src.mov"]  # libvmaf: [distorted][reference]
    assert args.count("-format_whitelist") == 2  # the source is an upload: same allow-lists as the pipeline


def test_interlaced_sources_are_deinterlaced_and_fast_ones_resampled_like_the_renditions() -> None:
    graph = filter_graph(VideoTrack("AVC", 1920, 1080, frame_rate=120, scan_type="Interlaced"), "/t/v.json",
                         rendition_rate=60)
    reference = graph.split(";")[1]
    assert reference.startswith("[1:v]yadif,") and "fps=60" in reference
    assert "yadif" not in graph.split(";")[0]


def test_log_paths_are_escaped_for_the_filter_graph() -> None:
    assert escape_value("/tmp/a:b,c") == r"/tmp/a\\:b\,c"  # option level, then graph level


def test_mean_and_5th_percentile_from_the_log() -> None:
    frames = [{"frameNum": i, "metrics": {"vmaf": float(v)}} for i, v in enumerate(range(100, 0, -1))]
    log = json.dumps({"frames": frames})
    score = parse_log(log, 640, 360)
    assert score.frames == 100
    assert score.mean == pytest.approx(50.5)
    assert score.p5 == pytest.approx(5.95)
    assert percentile([1.0], 5) == 1.0


def test_an_unreadable_log_is_one_clear_error() -> None:
    with pytest.raises(BadInputError, match="VMAF could not be read"):
        parse_log("not json", 2, 2)
    with pytest.raises(BadInputError, match="no frames"):
        parse_log('{"frames": []}', 2, 2)
