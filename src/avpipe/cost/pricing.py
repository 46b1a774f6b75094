"""MediaConvert's on-demand price of a CreateJob request, from the price table in this folder.

Pure: the request says which outputs the job makes (size, frame rate, passes), the source's
duration says how many minutes each one bills. Every output is billed on its own, per
second with a minimum, at the rate of its tier and resolution class, times the multipliers
of its frame rate class and its passes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from avpipe.errors import ConfigurationError

TIERS = ("basic", "professional")
BASIC_CODECS = ("H_264", "VP8", "VP9")


@dataclass(frozen=True)
class PriceTable:
    """The price data file: rates, classes, multipliers, and where and when they were read."""

    data: dict[str, Any]

    @property
    def source(self) -> str:
        return str(self.data["source"])

    @property
    def as_of(self) -> str:
        return str(self.data["as_of"])

    def resolution_class(self, width: int, height: int) -> str:
        lines = min(width, height)  # a portrait 1080x1920 output is HD, like its landscape twin
        for entry in self.data["resolution_classes"]:
            if lines <= entry["max_lines"]:
                return str(entry["name"])
        return str(self.data["resolution_classes"][-1]["name"])

    def frame_rate_class(self, fps: float) -> tuple[str, float]:
        for entry in self.data["frame_rate_classes"]:
            if fps <= entry["max_fps"] + 1e-6:
                return str(entry["name"]), float(entry["multiplier"])
        last = self.data["frame_rate_classes"][-1]
        return str(last["name"]), float(last["multiplier"])

    def rate(self, tier: str, resolution: str, passes: str) -> float | None:
        """Price per minute at <=30 fps for this tier, class and passes; None where the tier lacks them."""
        prices = self.data["tiers"][tier]
        multiplier = prices["passes"].get(passes)
        return None if multiplier is None else float(prices["rates"][resolution]) * float(multiplier)

    def billed_minutes(self, duration_s: float) -> float:
        step, minimum = float(self.data["billing"]["increment_s"]), float(self.data["billing"]["minimum_s"])
        return max(minimum, math.ceil(duration_s / step) * step) / 60


def load_price_table(path: Path | None = None) -> PriceTable:
    """The packaged table (``mediaconvert_prices.json``), or another file in the same shape."""
    try:
        text = path.read_text(encoding="utf-8") if path else \
            resources.files("avpipe.cost").joinpath("mediaconvert_prices.json").read_text(encoding="utf-8")
        return PriceTable(json.loads(text))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"The MediaConvert price table {path or 'packaged'} could not be read.") from exc


@dataclass(frozen=True)
class OutputPrice:
    name: str  # the output's NameModifier, e.g. "_720p"
    width: int
    height: int
    fps: float
    resolution: str  # "SD" | "HD" | "UHD"
    frame_rate_class: str
    passes: str  # the QualityTuningLevel
    minutes: float  # billed minutes
    usd: dict[str, float | None]  # per tier; None where that tier cannot make this output

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "width": self.width, "height": self.height, "fps": round(self.fps, 3),
                "resolution": self.resolution, "frame_rate_class": self.frame_rate_class, "passes": self.passes,
                "minutes": round(self.minutes, 4), "usd": {t: _money(v) for t, v in self.usd.items()}}


@dataclass(frozen=True)
class JobPrice:
    tier: str  # the cheapest tier that can run every output
    usd: float | None  # the job's price in that tier
    outputs: tuple[OutputPrice, ...]
    source: str
    as_of: str
    unpriced: tuple[str, ...] = ()  # outputs the table has no price for (audio-only, by NameModifier)

    def to_dict(self) -> dict[str, Any]:
        totals = {t: _money(_total(self.outputs, t) if self.outputs else None) for t in TIERS}
        return {"tier": self.tier, "usd": _money(self.usd), "usd_by_tier": totals,
                "outputs": [o.to_dict() for o in self.outputs], "unpriced_outputs": list(self.unpriced),
                "price_table": {"source": self.source, "as_of": self.as_of}}


def price_job(request: dict[str, Any], duration_s: float, source_fps: float | None, table: PriceTable) -> JobPrice:
    """What MediaConvert would charge for ``request`` on a source of ``duration_s`` seconds."""
    priced: list[OutputPrice] = []
    unpriced: list[str] = []
    for group in request["Settings"]["OutputGroups"]:
        for output in group["Outputs"]:
            video = output.get("VideoDescription")
            if video is None:
                unpriced.append(str(output.get("NameModifier", "")))
                continue
            priced.append(_price_output(output, video, duration_s, source_fps, table))
    tier = next((t for t in TIERS if all(o.usd[t] is not None for o in priced)), TIERS[-1])
    usd = _total(priced, tier) if priced else None  # an audio-only job: the table has no audio rates
    return JobPrice(tier, usd, tuple(priced), table.source, table.as_of, tuple(unpriced))


def _price_output(output: dict[str, Any], video: dict[str, Any], duration_s: float, source_fps: float | None,
                  table: PriceTable) -> OutputPrice:
    codec = video["CodecSettings"]["Codec"]
    settings = codec_settings(video)
    passes = str(settings.get("QualityTuningLevel", "SINGLE_PASS"))
    fps = output_fps(settings, source_fps)
    width, height = int(video["Width"]), int(video["Height"])
    resolution = table.resolution_class(width, height)
    fps_name, fps_multiplier = table.frame_rate_class(fps)
    minutes = table.billed_minutes(duration_s)
    usd: dict[str, float | None] = {}
    for tier in TIERS:
        rate = table.rate(tier, resolution, passes)
        usable = rate is not None and (tier != "basic" or codec in BASIC_CODECS)
        usd[tier] = minutes * rate * fps_multiplier if usable and rate is not None else None
    return OutputPrice(str(output.get("NameModifier", "")), width, height, fps, resolution, fps_name, passes,
                       minutes, usd)


def codec_settings(video: dict[str, Any]) -> dict[str, Any]:
    """The ``H264Settings`` (or other codec's settings) of a VideoDescription."""
    found: dict[str, Any] = next((v for k, v in video["CodecSettings"].items() if k.endswith("Settings")), {})
    return found


def output_fps(settings: dict[str, Any], source_fps: float | None) -> float:
    """An output's frame rate: the one it specifies, else the source's (30 when unknown)."""
    if settings.get("FramerateControl") == "SPECIFIED" and settings.get("FramerateDenominator"):
        return float(settings["FramerateNumerator"]) / float(settings["FramerateDenominator"])
    return source_fps or 30.0


def _total(outputs: tuple[OutputPrice, ...] | list[OutputPrice], tier: str) -> float | None:
    values = [o.usd[tier] for o in outputs]
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
