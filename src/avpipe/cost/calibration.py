"""This machine's encode speed for avpipe's ladder, measured once and kept in the user's cache.

The speed is counted in output pixel-frames (width x height x frames, summed over the
renditions) per wall second and per CPU second of the whole local job, so one number
covers decoding, scaling and every rung. A calibration belongs to one ffmpeg build, core
count and thread setting; when any of them changes it no longer applies.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from avpipe.cost.pricing import codec_settings, output_fps

log = logging.getLogger(__name__)
CALIBRATION_FILE = "encode-speed.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Calibration:
    pixel_rate: float  # output pixel-frames per wall second
    cpu_pixel_rate: float  # output pixel-frames per CPU second
    machine: dict[str, Any]  # {"ffmpeg": version, "cores": n, "threads": t}: what the speed belongs to
    measured_at: str
    version: int = FORMAT_VERSION

    def estimate(self, pixel_frames: float) -> dict[str, float]:
        """Expected wall and CPU seconds for a job making ``pixel_frames``."""
        return {"wall_s": round(pixel_frames / self.pixel_rate, 2),
                "cpu_s": round(pixel_frames / self.cpu_pixel_rate, 2)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def output_pixel_frames(request: dict[str, Any], duration_s: float, source_fps: float | None) -> float:
    """Width x height x frames, summed over the video outputs of a CreateJob request."""
    total = 0.0
    for group in request["Settings"]["OutputGroups"]:
        for output in group["Outputs"]:
            video = output.get("VideoDescription")
            if video is None:
                continue
            fps = output_fps(codec_settings(video), source_fps)
            total += int(video["Width"]) * int(video["Height"]) * fps * duration_s
    return total


def load_calibration(cache: Path, machine: dict[str, Any]) -> Calibration | None:
    """The kept calibration for ``machine``, or None (none yet, unreadable, or another machine's)."""
    path = cache / CALIBRATION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        calibration = Calibration(**data)
    except (OSError, ValueError, TypeError):
        return None
    if calibration.version != FORMAT_VERSION or calibration.machine != machine:
        log.info("the encode-speed calibration in %s is for another setup; not used", path)
        return None
    if calibration.pixel_rate <= 0 or calibration.cpu_pixel_rate <= 0:
        return None
    return calibration


def save_calibration(cache: Path, calibration: Calibration) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / CALIBRATION_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(calibration.to_dict(), indent=2), encoding="utf-8")
    temporary.replace(path)
    return path
