"""Runs the selected cases: inputs and set-up in this process, each trial in a fresh one."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avpipe.bench.cases import CASES
from avpipe.bench.cases.base import BenchEnv, Case, Spec
from avpipe.bench.inputs import Inputs, InputSizes
from avpipe.bench.report import summarise
from avpipe.bench.s3server import Traffic, delta

log = logging.getLogger(__name__)
Trial = dict[str, Any]


@dataclass(frozen=True)
class BenchOptions:
    cases: tuple[int, ...]
    repeat: int
    work: Path
    sizes: InputSizes
    ffmpeg: str


def run_cases(options: BenchOptions, progress: Callable[[str], None] = print,
              case_done: Callable[[dict[int, dict[str, list[Trial]]]], None] = lambda _results: None,
              ) -> dict[int, dict[str, list[Trial]]]:
    """Every case's trials: ``{case: {variant: [trial, ...]}}``; ``case_done`` sees the results so far."""
    selected = [CASES[number] for number in options.cases]
    results: dict[int, dict[str, list[Trial]]] = {}
    with _s3(any(c.needs_s3 for c in selected)) as (endpoint, traffic):
        env = BenchEnv(Inputs(options.work / "inputs", options.ffmpeg, options.sizes), options.work,
                       options.ffmpeg, endpoint)
        for case in selected:
            progress(f"case {case.number} ({case.name}): preparing")
            spec = case.prepare(env)
            results[case.number] = _alternate(case, spec, options.repeat, traffic, progress)
            for path in case.finish(spec, summarise(results[case.number])):
                progress(f"case {case.number} ({case.name}): wrote {path}")
            case_done(results)
    return results


def _alternate(case: Case, spec: Spec, repeat: int, traffic: Traffic | None,
               progress: Callable[[str], None]) -> dict[str, list[Trial]]:
    trials: dict[str, list[Trial]] = {variant: [] for variant in case.variants}
    for round_number in range(repeat):
        for variant in case.variants:  # A B A B ...: slow drifts of the machine hit both alike
            before = traffic.snapshot() if traffic else None
            trial = run_trial(case.number, variant, spec)
            if traffic is not None and before is not None:
                trial.update({f"s3_{k}": v for k, v in delta(before, traffic.snapshot()).items()})
            trials[variant].append(trial)
            progress(f"case {case.number} ({case.name}) round {round_number + 1}/{repeat}: "
                     f"{variant} {trial['wall_s']:.2f} s")
    return trials


def run_trial(case: int, variant: str, spec: Spec) -> Trial:
    """Run one trial in a new Python process and return its measurement."""
    request = json.dumps({"case": case, "variant": variant, "spec": spec})
    done = subprocess.run([sys.executable, "-m", "avpipe.bench.trial"], input=request,  # noqa: S603
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"case {case} {variant} failed:\n{done.stderr[-4000:]}")
    result: Trial = json.loads(done.stdout)
    return result


@contextlib.contextmanager
def _s3(needed: bool) -> Iterator[tuple[str | None, Traffic | None]]:
    if not needed:
        yield None, None
        return
    from avpipe.bench.s3server import counting_moto_server

    with counting_moto_server() as (endpoint, traffic):
        yield endpoint, traffic
