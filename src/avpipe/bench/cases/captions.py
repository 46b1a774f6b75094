"""Case 5: caption conversion throughput, cues per second, for each input format.

``avpipe`` is :func:`~avpipe.captions.convert.convert_to_webvtt` (decode, detect, safety
checks, read, write). The baseline is bare pycaption: the format's reader, then its
WebVTT writer, with nothing checked.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target


def prepare(env: BenchEnv) -> Spec:
    files = env.inputs.captions()
    return {"files": {name: str(path) for name, path in files.items()}, "cues": env.inputs.sizes.caption_cues}


def run(variant: str, spec: Spec) -> Metrics:
    from pathlib import Path

    metrics: dict[str, Any] = {}
    warnings.simplefilter("ignore")  # pycaption's parser notes are not the benchmark's business
    for name, path in spec["files"].items():
        data = Path(path).read_bytes()
        _avpipe(data) if variant == "avpipe" else _pycaption(name, data)  # warm-up: imports, caches
        started = time.perf_counter()
        cues = _avpipe(data) if variant == "avpipe" else _pycaption(name, data)
        elapsed = time.perf_counter() - started
        if cues != spec["cues"]:
            raise RuntimeError(f"{name}: {cues} cues converted, {spec['cues']} expected")
        metrics[f"cues_per_s_{name}"] = round(cues / elapsed, 1)
    return metrics


def _avpipe(data: bytes) -> int:
    from avpipe.captions.convert import convert_to_webvtt

    return sum(track.cue_count for track in convert_to_webvtt(data).tracks)


def _pycaption(name: str, data: bytes) -> int:
    import pycaption

    readers = {"SRT": pycaption.SRTReader, "WebVTT": pycaption.WebVTTReader, "SCC": pycaption.SCCReader,
               "DFXP": pycaption.DFXPReader, "SAMI": pycaption.SAMIReader}
    caption_set = readers[name]().read(data.decode("utf-8"))
    text: str = pycaption.WebVTTWriter().write(caption_set)
    return text.count(" --> ")


def targets(summary: Summary) -> list[Target]:
    return []  # the issue asks for the numbers, not a threshold


CASE = Case(5, "captions", "Caption conversion throughput (cues/s)", ("avpipe", "pycaption"),
            prepare, run, targets)
