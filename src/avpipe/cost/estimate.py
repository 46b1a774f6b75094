"""``avpipe plan``'s estimate: MediaConvert's price of the job and the expected local time.

The MediaConvert price needs only the plan (pure, :mod:`avpipe.cost.pricing`); the local
time needs this machine's encode speed, measured once by :func:`calibrate` (a 2 s 720p
clip through the real ladder) and kept in the user's cache.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avpipe.analysis.facts import MediaFacts
from avpipe.cost.calibration import Calibration, load_calibration, output_pixel_frames, save_calibration
from avpipe.cost.pricing import PriceTable, load_price_table, price_job
from avpipe.cost.usage import measured
from avpipe.errors import ConfigurationError
from avpipe.ffmpeg.capabilities import inspect
from avpipe.manifest.model import iso
from avpipe.planning.asset import AssetPlan

if TYPE_CHECKING:
    from avpipe.pipeline.local_runtime import LocalRuntime

log = logging.getLogger(__name__)
CALIBRATION_CLIP = "testsrc2=size=1280x720:rate=30:duration=2,noise=alls=6:allf=t"  # moving detail, light grain
NOT_CALIBRATED = "this machine's encode speed is not measured yet: run avpipe plan --estimate once"


def machine_of(runtime: LocalRuntime) -> dict[str, Any]:
    """What a calibration belongs to: the ffmpeg build, the cores and the thread setting."""
    from avpipe.transcode.local import available_cores

    return {"ffmpeg": inspect(runtime.runner.executable).version_text, "cores": available_cores(),
            "threads": runtime.settings.ffmpeg_threads}


def estimate_plan(plan: AssetPlan, facts: MediaFacts, calibration: Calibration | None,
                  table: PriceTable | None = None) -> dict[str, Any]:
    """The plan's ``estimate``: MediaConvert's price and the local wall and CPU time (pure)."""
    request = plan.mediaconvert_job
    duration = facts.duration_s or 0.0
    if request is None:
        return {"duration_s": duration, "mediaconvert": None, "local": None}
    fps = facts.video.frame_rate if facts.video else None
    price = price_job(request, duration, fps, table or load_price_table()).to_dict()
    pixels = output_pixel_frames(request, duration, fps)
    if calibration is None:
        local: dict[str, Any] = {"wall_s": None, "cpu_s": None, "reason": NOT_CALIBRATED}
    elif pixels == 0:
        local = {"wall_s": None, "cpu_s": None, "reason": "audio jobs are not timed by the calibration"}
    else:
        local = {**calibration.estimate(pixels), "calibration": calibration.to_dict()}
    return {"duration_s": duration, "mediaconvert": price, "local": local}


def calibration_for(runtime: LocalRuntime, cache: Path, *, measure: bool, clip: str = CALIBRATION_CLIP
                    ) -> Calibration | None:
    """The kept calibration of this machine; with ``measure``, made now when there is none."""
    machine = machine_of(runtime)
    kept = load_calibration(cache, machine)
    if kept is not None or not measure:
        return kept
    calibration = calibrate(runtime, machine, clip)
    log.info("encode speed measured and kept in %s", save_calibration(cache, calibration))
    return calibration


def calibrate(runtime: LocalRuntime, machine: dict[str, Any], clip_source: str = CALIBRATION_CLIP) -> Calibration:
    """Run the ladder of a generated clip (2 s of 720p30) as the local backend would, and time it."""
    from avpipe.pipeline.plan import plan_file
    from avpipe.transcode.ffmpeg_args import ffmpeg_job
    from avpipe.transcode.local import available_cores

    with tempfile.TemporaryDirectory(prefix="avpipe-calibrate-") as tmp:
        clip = Path(tmp) / "calibration.mp4"
        runtime.runner.run(["-y", "-f", "lavfi", "-i", clip_source, "-f", "lavfi", "-i", "sine=duration=2",
                            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p",
                            "-c:a", "aac", "-shortest", str(clip)])
        facts = runtime.probe(str(clip))
        plan = plan_file(runtime, clip)
        if plan.mediaconvert_job is None or facts.duration_s is None:
            raise ConfigurationError("The calibration clip could not be planned; the encode speed was not measured.")
        job = ffmpeg_job(plan.mediaconvert_job["Settings"], str(clip), tmp, threads=runtime.settings.ffmpeg_threads,
                         cores=available_cores())
        with measured() as usage:
            runtime.runner.run(job.args)
    fps = facts.video.frame_rate if facts.video else None
    pixels = output_pixel_frames(plan.mediaconvert_job, facts.duration_s, fps)
    return Calibration(pixels / max(usage.wall_s, 1e-3), pixels / max(usage.cpu_s, 1e-3), machine,
                       iso(runtime.clock()))


def plan_with_estimate(runtime: LocalRuntime, path: Path, cache: Path, *, measure: bool,
                       clip: str = CALIBRATION_CLIP) -> dict[str, Any]:
    """``avpipe plan``'s JSON: the plan of ``path`` with its ``estimate``."""
    from avpipe.pipeline.plan import plan_file

    plan = plan_file(runtime, path)
    if plan.mediaconvert_job is None:  # a copy, captions or a refusal: nothing to price or time
        return {**plan.to_dict(), "estimate": estimate_plan(plan, MediaFacts(container=None), None)}
    calibration = calibration_for(runtime, cache, measure=measure, clip=clip)
    return {**plan.to_dict(), "estimate": estimate_plan(plan, runtime.probe(str(path)), calibration)}
