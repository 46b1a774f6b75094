"""MediaConvert's price of a job from the packaged price table: per output, class and multipliers, summed."""

from __future__ import annotations

from typing import Any

import pytest

from avpipe.analysis.facts import MediaFacts, VideoTrack
from avpipe.analysis.routing import Route
from avpipe.config import Settings
from avpipe.cost.calibration import Calibration, output_pixel_frames
from avpipe.cost.estimate import NOT_CALIBRATED, estimate_plan
from avpipe.cost.pricing import load_price_table, price_job
from avpipe.keys import AssetKeys
from avpipe.planning.asset import plan_asset
from avpipe.planning.templates import load_template

TABLE = load_price_table()


def _output(name: str, width: int, height: int, passes: str = "SINGLE_PASS_HQ", codec: str = "H_264",
            fps: tuple[int, int] | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {"QualityTuningLevel": passes, "FramerateControl": "INITIALIZE_FROM_SOURCE"}
    if fps:
        settings.update(FramerateControl="SPECIFIED", FramerateNumerator=fps[0], FramerateDenominator=fps[1])
    key = {"H_264": "H264Settings", "H_265": "H265Settings"}[codec]
    return {"NameModifier": name, "VideoDescription": {"Width": width, "Height": height,
                                                      "CodecSettings": {"Codec": codec, key: settings}}}


def _request(*outputs: dict[str, Any]) -> dict[str, Any]:
    return {"Settings": {"OutputGroups": [{"Outputs": list(outputs)}]}}


def test_the_table_says_where_and_when_its_prices_come_from() -> None:
    assert TABLE.source == "https://aws.amazon.com/mediaconvert/pricing/"
    assert TABLE.as_of == "2024-12-01"


def test_a_known_ladder_sums_per_output() -> None:
    request = _request(_output("_360p", 640, 360), _output("_480p", 854, 480), _output("_720p", 1280, 720),
                       _output("_1080p", 1920, 1080))
    price = price_job(request, 600.0, 25.0, TABLE)  # ten minutes at 25 fps
    assert price.tier == "basic"
    assert [o.resolution for o in price.outputs] == ["SD", "SD", "HD", "HD"]
    assert price.usd == pytest.approx(10 * (0.0075 + 0.0075 + 0.015 + 0.015))
    assert price.to_dict()["usd_by_tier"]["professional"] == pytest.approx(10 * (0.012 + 0.012 + 0.024 + 0.024) * 1.5)


def test_frame_rate_passes_and_minimum_billing() -> None:
    fast = price_job(_request(_output("_1080p", 1920, 1080, fps=(60000, 1001))), 90.0, 59.94, TABLE)
    assert fast.outputs[0].frame_rate_class == ">30 and <=60 fps"
    assert fast.usd == pytest.approx(1.5 * 0.015 * 2)
    short = price_job(_request(_output("_360p", 640, 360)), 3.2, 30.0, TABLE)
    assert short.outputs[0].minutes == pytest.approx(10 / 60)  # 10 s minimum per output
    multipass = price_job(_request(_output("_2160p", 3840, 2160, passes="MULTI_PASS_HQ")), 60.0, 24.0, TABLE)
    assert multipass.tier == "professional"  # the Basic tier has no multi-pass
    assert multipass.usd == pytest.approx(0.048 * 2)
    hevc = price_job(_request(_output("_1080p", 1920, 1080, codec="H_265")), 60.0, 24.0, TABLE)
    assert hevc.tier == "professional"


def test_a_portrait_output_is_classed_by_its_short_side() -> None:
    assert TABLE.resolution_class(1080, 1920) == "HD"
    assert TABLE.resolution_class(360, 640) == "SD"
    assert TABLE.resolution_class(2160, 3840) == "UHD"


def test_the_plan_of_the_packaged_template_is_priced_and_timed() -> None:
    facts = MediaFacts("MPEG-4", duration_s=120.0, video=VideoTrack("AVC", 1920, 1080, frame_rate=30.0))
    keys = AssetKeys.for_input("inputs/talk.mp4")
    plan = plan_asset(keys, facts, Route.VIDEO, settings=Settings(), video_template=load_template(None, "job.json"),
                      audio_template=load_template(None, "audio_job.json"), watch_uri=lambda k: f"file:///w/{k}",
                      public_uri=lambda k: f"file:///p/{k}")
    assert plan.mediaconvert_job is not None
    pixels = output_pixel_frames(plan.mediaconvert_job, 120.0, 30.0)
    assert pixels == (640 * 360 + 854 * 480 + 1280 * 720 + 1920 * 1080) * 30 * 120
    calibration = Calibration(pixel_rate=pixels / 40, cpu_pixel_rate=pixels / 75, machine={}, measured_at="x")
    estimate = estimate_plan(plan, facts, calibration)
    assert estimate["mediaconvert"]["usd"] == pytest.approx(2 * (0.0075 + 0.0075 + 0.015 + 0.015))
    assert (estimate["local"]["wall_s"], estimate["local"]["cpu_s"]) == (40.0, 75.0)
    assert estimate_plan(plan, facts, None)["local"]["reason"] == NOT_CALIBRATED


def test_an_audio_only_job_is_not_priced_as_free() -> None:
    audio = {"NameModifier": "", "AudioDescriptions": [{"CodecSettings": {"Codec": "MP3"}}]}
    price = price_job(_request(audio), 120.0, None, TABLE)
    assert price.usd is None and price.to_dict()["usd_by_tier"] == {"basic": None, "professional": None}
    assert price.unpriced == ("",)
