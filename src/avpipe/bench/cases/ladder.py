"""Case 1: the 1080p clip to all four rungs.

- ``avpipe``: the real local backend, :class:`~avpipe.transcode.local.LocalTranscoder`
  submitting the CreateJob request avpipe plans for the clip (one ffmpeg, outputs put in
  the public store).
- ``per_rung`` (a): the usual approach, one ffmpeg process per rung, one after another,
  each decoding the source; threads are left to ffmpeg (each process runs alone).
- ``one_command`` (b): one hand-written ffmpeg command that decodes once, splits, scales
  and encodes every rung: the practical limit.

Both baselines use avpipe's encoder settings for every rung (written out by hand below,
from the rung's numbers in the request); (b) also uses the same thread counts per encoder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most, ratio


def prepare(env: BenchEnv, *, streaming: bool = False) -> Spec:
    """The planned job for the 1080p clip; MP4 only unless ``streaming`` (the baselines make no stream)."""
    from avpipe.analysis.mediainfo import probe
    from avpipe.analysis.routing import Route
    from avpipe.config import Settings
    from avpipe.keys import AssetKeys
    from avpipe.pipeline.context import Templates
    from avpipe.planning.asset import plan_asset
    from avpipe.storage.local import LocalStore

    folder = env.work / "ladder"
    watch = LocalStore(folder / "watch")
    public = LocalStore(folder / "public")
    clip = env.inputs.clip_1080p()
    watch.path("inputs/clip.mp4").parent.mkdir(parents=True, exist_ok=True)
    if not watch.exists("inputs/clip.mp4"):
        shutil.copyfile(clip, watch.path("inputs/clip.mp4"))
    settings = Settings(data_dir=folder)
    templates = Templates.from_settings(settings)
    keys = AssetKeys.for_input("inputs/clip.mp4")
    plan = plan_asset(keys, probe(str(clip)), Route.VIDEO, settings=settings, video_template=templates.video,
                      audio_template=templates.audio, watch_uri=watch.uri, public_uri=public.uri)
    if plan.mediaconvert_job is None:
        raise RuntimeError("avpipe planned no transcode for the 1080p clip")
    request = plan.mediaconvert_job
    if not streaming:  # case 7 measures the CMAF group; here the ladder alone, as the baselines make it
        request["Settings"]["OutputGroups"] = request["Settings"]["OutputGroups"][:1]
    return {"request": request, "watch": str(watch.root), "public": str(public.root),
            "source": str(watch.path("inputs/clip.mp4")), "out": str(folder / "baseline"),
            "ffmpeg": env.ffmpeg, "workers": settings.workers}


def reset(spec: Spec) -> None:
    for folder in (spec["public"], spec["out"]):
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True)


def run(variant: str, spec: Spec) -> Metrics:
    if variant == "avpipe":
        return run_avpipe(spec)
    rungs = rung_numbers(spec["request"])
    if variant == "per_rung":
        for rung in rungs:
            _ffmpeg(spec, ["-i", spec["source"], *rung_output(rung, "0:v:0", spec["out"], threads=None)])
    else:
        _ffmpeg(spec, one_command(spec["source"], rungs, spec["out"]))
    return {"outputs": len(rungs)}


def run_avpipe(spec: Spec) -> Metrics:
    """The spec's request through the local backend (outputs into the public store)."""
    from avpipe.ffmpeg.runner import FfmpegRunner
    from avpipe.pipeline.events import Event, JobStateChange
    from avpipe.storage.local import LocalStore
    from avpipe.transcode.local import LocalTranscoder

    events: list[Event] = []
    stores = [LocalStore(spec["watch"]), LocalStore(spec["public"])]
    LocalTranscoder(FfmpegRunner(spec["ffmpeg"]), stores, events.append).submit(spec["request"])
    change = events[-1]
    if not isinstance(change, JobStateChange) or change.status != "COMPLETE":
        raise RuntimeError(f"the avpipe job failed: {change}")
    return {"outputs": len(change.outputs)}


def _ffmpeg(spec: Spec, args: list[str]) -> None:
    argv = [spec["ffmpeg"], "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(argv, check=True)  # noqa: S603 - an argument list


def rung_numbers(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Per rung, the numbers a person would copy from the job: size, bit rates, threads."""
    from avpipe.transcode.ffmpeg_args import encoder_threads, qvbr_to_crf, scaler
    from avpipe.transcode.local import available_cores

    outputs = request["Settings"]["OutputGroups"][0]["Outputs"]
    threads = encoder_threads(outputs, available_cores())
    rungs = []
    for index, output in enumerate(outputs):
        video = output["VideoDescription"]
        h264 = video["CodecSettings"]["H264Settings"]
        aac = output["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
        rungs.append({"name": output["NameModifier"], "width": video["Width"], "height": video["Height"],
                      "maxrate": h264["MaxBitrate"], "bufsize": h264["HrdBufferSize"],
                      "crf": qvbr_to_crf(h264["QvbrSettings"]["QvbrQualityLevel"]),
                      "bframes": h264["NumberBFramesBetweenReferenceFrames"],
                      "refs": h264.get("NumberReferenceFrames"), "scaler": scaler(video),
                      "audio_bitrate": aac["Bitrate"], "threads": threads.get(index)})
    return rungs


def rung_output(rung: dict[str, Any], video: str, out: str, *, threads: int | None) -> list[str]:
    """The output options for one rung, written out by hand (avpipe's settings: SINGLE_PASS_HQ, the rung's
    QVBR level as CRF, its B-frames, references and scaler)."""
    scale = [] if video.startswith("[") else ["-vf", f"scale={rung['width']}:{rung['height']}:flags={rung['scaler']},"
                                                    "setsar=1/1,format=yuv420p"]
    refs = ["-refs", str(rung["refs"])] if rung.get("refs") else []
    args = ["-map", video, *scale, "-c:v", "libx264", "-preset", "fast", "-profile:v", "high",
            "-crf", f"{rung['crf']:g}", "-maxrate", str(rung["maxrate"]), "-bufsize", str(rung["bufsize"]),
            "-force_key_frames", "expr:gte(t,n_forced*2)", "-flags", "+cgop", "-bf", str(rung["bframes"]), *refs,
            "-map", "0:a:0", "-c:a", "aac", "-b:a", str(rung["audio_bitrate"]), "-ac", "2", "-ar", "48000"]
    if threads:
        args += ["-threads", str(threads)]
    return [*args, "-f", "mp4", "-movflags", "+faststart", f"{out}/clip{rung['name']}.mp4"]


def one_command(source: str, rungs: list[dict[str, Any]], out: str) -> list[str]:
    """Decode once, split, scale each branch, encode every rung: (b)."""
    labels = "".join(f"[s{i}]" for i in range(len(rungs)))
    branches = [f"[s{i}]scale={r['width']}:{r['height']}:flags={r['scaler']},setsar=1/1,format=yuv420p[v{i}]"
                for i, r in enumerate(rungs)]
    graph = ";".join([f"[0:v:0]split={len(rungs)}{labels}", *branches])
    args = ["-i", source, "-filter_complex", graph]
    for i, rung in enumerate(rungs):
        args += rung_output(rung, f"[v{i}]", out, threads=rung["threads"])
    return args


def targets(summary: Summary) -> list[Target]:
    return [at_most("avpipe wall time / one hand-written command (b)", ratio(summary, "avpipe", "one_command"), 1.05),
            at_most("avpipe wall time / one process per rung (a)", ratio(summary, "avpipe", "per_rung"), 0.80)]


CASE = Case(1, "ladder", "Ladder transcode, 1080p to 4 rungs (local backend)",
            ("avpipe", "per_rung", "one_command"), prepare, run, targets, reset=reset)
