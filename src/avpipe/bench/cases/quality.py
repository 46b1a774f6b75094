"""Case 8: quality for the bits and the CPU, against two reference ladders.

On three generated sources (:mod:`avpipe.bench.quality_sources`: talking head, high motion,
screen content) each variant encodes a ladder, then every rendition is scored with VMAF
against its source at the source's size (every ``subsample``-th frame):

- ``avpipe``: the job avpipe plans from ``templates/job.json`` (its File group: the CMAF
  group remuxes these same encodes), run by the real local backend;
- ``peertube``: PeerTube's default profile, one process per rung (see :mod:`..reference_ladders`);
- ``aws_vod``: the Video on Demand on AWS solution's QVBR ladder, through avpipe's translation.

``encode_cpu_s`` is the CPU of the encodes alone (VMAF's is reported apart). The report gives
per rung bitrate, VMAF mean and 5th percentile, and avpipe's BD-rate against each reference
(:mod:`avpipe.quality.bdrate`); :func:`finish` draws one rate-quality PNG per source.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most
from avpipe.bench.quality_sources import SOURCES, make_sources
from avpipe.bench.reference_ladders import aws_vod_settings, peertube_rung

REFERENCES = ("peertube", "aws_vod")
FLOORS = {360: 80.0, 1080: 93.0}  # the talking head's VMAF floors (5th percentile) per rung


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def prepare(env: BenchEnv) -> Spec:
    """The three sources and avpipe's planned request for each (File group only)."""
    from avpipe.analysis.mediainfo import probe
    from avpipe.analysis.routing import Route
    from avpipe.config import Settings
    from avpipe.keys import AssetKeys
    from avpipe.pipeline.context import Templates
    from avpipe.planning.asset import plan_asset
    from avpipe.storage.local import LocalStore

    sizes = env.inputs.sizes
    quick = sizes.clip_seconds < 5
    width, height, seconds = (854, 480, 0.5) if quick else (1920, 1080, 6.0)
    folder = env.work / "quality"
    sources = make_sources(env.ffmpeg, env.inputs.folder / "quality", width, height, seconds)
    settings = Settings(data_dir=folder)
    templates = Templates.from_settings(settings)
    watch, public = LocalStore(folder / "watch"), LocalStore(folder / "public")
    spec: Spec = {"ffmpeg": env.ffmpeg, "out": str(folder / "out"), "public": str(public.root),
                  "watch": str(watch.root), "subsample": 1 if quick else 5, "sources": {}, "plots": str(folder)}
    for name, path in sources.items():
        key = f"inputs/{name}.mp4"
        watch.path(key).parent.mkdir(parents=True, exist_ok=True)
        if not watch.exists(key) or watch.path(key).stat().st_size != path.stat().st_size:
            shutil.copyfile(path, watch.path(key))  # a new revision of the source replaces the old
        facts = probe(str(path))
        plan = plan_asset(AssetKeys.for_input(key), facts, Route.VIDEO, settings=settings,
                          video_template=templates.video, audio_template=templates.audio, watch_uri=watch.uri,
                          public_uri=public.uri)
        assert plan.mediaconvert_job is not None and facts.video is not None
        request = plan.mediaconvert_job
        request["Settings"]["OutputGroups"] = request["Settings"]["OutputGroups"][:1]
        spec["sources"][name] = {"path": str(watch.path(key)), "request": request, "facts": facts.to_dict(),
                                 "width": facts.video.display_width, "height": facts.video.display_height,
                                 "fps": facts.video.frame_rate or 30.0, "bitrate": facts.video.bit_rate,
                                 "duration": facts.duration_s or seconds}
    return spec


def reset(spec: Spec) -> None:
    for folder in (spec["public"], spec["out"]):
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True)


def run(variant: str, spec: Spec) -> Metrics:
    metrics: Metrics = {}
    encode = vmaf = 0.0
    for name, source in spec["sources"].items():
        started = _cpu()
        renditions = _encode(variant, name, source, spec)
        done = _cpu()
        encode += done - started
        metrics[f"{name}:cpu_s"] = round(done - started, 3)
        for rung, path in renditions.items():
            score = _vmaf(spec, source, path)
            kbps = Path(path).stat().st_size * 8 / source["duration"] / 1000
            metrics.update({f"{name}:{rung}p:kbps": round(kbps, 1), f"{name}:{rung}p:vmaf": round(score.mean, 2),
                            f"{name}:{rung}p:p5": round(score.p5, 2)})
        vmaf += _cpu() - done
    metrics.update({"encode_cpu_s": round(encode, 3), "vmaf_cpu_s": round(vmaf, 3)})
    return metrics


def _encode(variant: str, name: str, source: dict[str, Any], spec: Spec) -> dict[int, str]:
    """The variant's ladder for one source: ``{rung height: file}``."""
    out = Path(spec["out"]) / variant / name
    out.mkdir(parents=True, exist_ok=True)
    outputs = source["request"]["Settings"]["OutputGroups"][0]["Outputs"]
    if variant == "avpipe":
        from avpipe.bench.cases.ladder import run_avpipe

        run_avpipe({**spec, "request": source["request"]})
        stem = Path(source["path"]).stem
        return {int(o["NameModifier"][1:-1]): str(next(Path(spec["public"]).rglob(f"{stem}{o['NameModifier']}.mp4")))
                for o in outputs}
    if variant == "peertube":
        files = {}
        for output in outputs:
            video = output["VideoDescription"]
            path = str(out / f"{video['Height']}p.mp4")
            _ffmpeg(spec, peertube_rung(source["path"], video["Width"], video["Height"], source["fps"],
                                        source["bitrate"], path))
            files[video["Height"]] = path
        return files
    from avpipe.transcode.ffmpeg_args import ffmpeg_job

    settings = aws_vod_settings(outputs[0], source["width"], source["height"])
    job = ffmpeg_job(settings, source["path"], str(out))
    _ffmpeg(spec, list(job.args))
    heights = [o["VideoDescription"]["Height"] for o in settings["OutputGroups"][0]["Outputs"]]
    return {height: planned.path for height, planned in zip(heights, job.outputs, strict=True)}


def _vmaf(spec: Spec, source: dict[str, Any], path: str) -> Any:
    from avpipe.ffmpeg.runner import FfmpegRunner
    from avpipe.quality.measure import measure_rendition, vmaf_ffmpeg

    track = _track(source)
    runner = FfmpegRunner(vmaf_ffmpeg(spec["ffmpeg"]).path)
    return measure_rendition(runner, source["path"], track, path, subsample=spec["subsample"])


def _track(source: dict[str, Any]) -> Any:
    from dataclasses import fields

    from avpipe.analysis.facts import VideoTrack

    data = source["facts"]["video"]
    return VideoTrack(**{f.name: data[f.name] for f in fields(VideoTrack) if f.name in data})


def _ffmpeg(spec: Spec, args: list[str]) -> None:
    argv = [spec["ffmpeg"], "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(argv, check=True)  # noqa: S603 - an argument list


def ladder_points(medians: dict[str, Any], source: str) -> dict[int, tuple[float, float, float]]:
    """``{rung: (bit/s, VMAF mean, VMAF p5)}`` of one variant on one source, from its medians."""
    points = {}
    for key, value in medians.items():
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == source and parts[2] == "kbps":
            rung = int(parts[1][:-1])
            points[rung] = (value * 1000, medians[f"{source}:{parts[1]}:vmaf"], medians[f"{source}:{parts[1]}:p5"])
    return dict(sorted(points.items()))


def bd_rates(summary: Summary) -> dict[str, dict[str, float | None]]:
    """avpipe's BD-rate (%) against each reference, per source and over the three (their mean)."""
    from avpipe.quality.bdrate import bd_rate

    result: dict[str, dict[str, float | None]] = {}
    for reference in REFERENCES:
        per_source: dict[str, float | None] = {}
        for source in SOURCES:
            ours = [(r, q) for r, q, _ in ladder_points(summary.get("avpipe", {}), source).values()]
            theirs = [(r, q) for r, q, _ in ladder_points(summary.get(reference, {}), source).values()]
            value = bd_rate(theirs, ours)
            per_source[source] = None if value is None else round(value, 2)
        known = [v for v in per_source.values() if v is not None]
        per_source["mean"] = round(sum(known) / len(known), 2) if known else None
        result[reference] = per_source
    return result


def targets(summary: Summary) -> list[Target]:
    rates = bd_rates(summary)
    ours, theirs = summary.get("avpipe", {}).get("encode_cpu_s"), summary.get("peertube", {}).get("encode_cpu_s")
    cpu = round(ours / theirs, 3) if isinstance(ours, (int, float)) and theirs else None
    found = [at_most("BD-rate vs PeerTube (%, mean of 3 sources)", rates["peertube"]["mean"], -10.0),
             at_most("encode CPU s, avpipe / PeerTube", cpu, 1.0)]
    talking = ladder_points(summary.get("avpipe", {}), "talking_head")
    for rung, floor in FLOORS.items():
        if rung in talking:
            found.append(Target(f"talking head {rung}p VMAF p5 (at least {floor:g})", talking[rung][2], floor,
                                talking[rung][2] >= floor))
    return found


def details(summary: Summary) -> list[str]:
    """The per-rung table and the BD-rates, for the report."""
    lines = ["| source | variant | rung | kb/s | VMAF mean | VMAF p5 |", "|---|---|---|---|---|---|"]
    for source in SOURCES:
        for variant in ("avpipe", *REFERENCES):
            for rung, (rate, mean, p5) in ladder_points(summary.get(variant, {}), source).items():
                lines.append(f"| {source} | {variant} | {rung}p | {rate / 1000:.0f} | {mean:.2f} | {p5:.2f} |")
    lines += ["", "| source | " + " | ".join(f"encode CPU s {v}" for v in ("avpipe", *REFERENCES)) + " | "
              + " | ".join(f"BD-rate vs {r} %" for r in REFERENCES) + " |", "|---" * 6 + "|"]
    rates = bd_rates(summary)
    for source in (*SOURCES, "mean"):
        cpu = [summary.get(v, {}).get(f"{source}:cpu_s" if source != "mean" else "encode_cpu_s")
               for v in ("avpipe", *REFERENCES)]
        lines.append(f"| {source if source != 'mean' else 'all (CPU: sum)'} | "
                     + " | ".join("-" if c is None else f"{c:.1f}" for c in cpu) + " | "
                     + " | ".join("-" if rates[r][source] is None else f"{rates[r][source]:+.1f}" for r in REFERENCES)
                     + " |")
    return lines


def finish(spec: Spec, summary: Summary) -> list[str]:
    """One rate-quality PNG per source (red avpipe, blue PeerTube, green AWS VOD); their paths."""
    from avpipe.bench.plot import write_plot

    written = []
    for source in SOURCES:
        curves = {v: [(r, q) for r, q, _ in ladder_points(summary.get(v, {}), source).values()]
                  for v in ("avpipe", *REFERENCES)}
        title = f"{source.replace('_', ' ')}: rate and quality per rung"
        written.append(str(write_plot(Path(spec["plots"]) / f"rate_quality_{source}.png", curves, title)))
    return written


CASE = Case(8, "quality", "Quality for the bits: avpipe's ladder vs PeerTube's and AWS VOD's, VMAF and BD-rate",
            ("avpipe", *REFERENCES), prepare, run, targets, reset=reset, details=details, finish=finish)
