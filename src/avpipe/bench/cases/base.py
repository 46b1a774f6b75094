"""What a benchmark case is: variants to alternate, set-up in the parent, a run in a trial process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avpipe.bench.inputs import Inputs

Spec = dict[str, Any]  # JSON-able: what the parent prepared for the trials
Metrics = dict[str, Any]  # what one trial reports beyond time and memory
Summary = dict[str, dict[str, Any]]  # variant -> median of each metric


@dataclass(frozen=True)
class BenchEnv:
    """What the parent process has for preparing cases."""

    inputs: Inputs
    work: Path
    ffmpeg: str
    s3_endpoint: str | None = None


@dataclass(frozen=True)
class Target:
    """One target from the issue, checked against the medians."""

    text: str
    value: float | None
    limit: float
    met: bool
    quick: bool = False  # meaningful on --quick's tiny inputs too (most shares and ratios are not)

    def to_dict(self, quick_run: bool = False) -> dict[str, Any]:
        """``met`` is None on a ``--quick`` run for targets that only big inputs can show."""
        applies = self.quick or not quick_run
        return {"target": self.text, "value": self.value, "limit": self.limit,
                "met": self.met if applies else None}


@dataclass(frozen=True)
class Case:
    """A case: ``variants[0]`` is avpipe, the others its baselines."""

    number: int
    name: str
    title: str
    variants: tuple[str, ...]
    prepare: Callable[[BenchEnv], Spec]
    run: Callable[[str, Spec], Metrics]  # in the trial process, inside the measurement
    targets: Callable[[Summary], list[Target]] = lambda _summary: []
    needs_s3: bool = False
    reset: Callable[[Spec], None] = field(default=lambda _spec: None)  # in the trial, before measuring
    details: Callable[[Summary], list[str]] = field(default=lambda _summary: [])  # extra report lines (pure)
    finish: Callable[[Spec, Summary], list[str]] = field(default=lambda _spec, _summary: [])  # in the parent,
    # after the trials: files the case writes from the medians (plots); their paths


def at_most(text: str, value: float | None, limit: float, *, quick: bool = False) -> Target:
    return Target(text, value, limit, value is not None and value <= limit, quick)


def ratio(summary: Summary, variant: str, baseline: str, metric: str = "wall_s") -> float | None:
    top, bottom = summary.get(variant, {}).get(metric), summary.get(baseline, {}).get(metric)
    if not isinstance(top, (int, float)) or not isinstance(bottom, (int, float)) or not bottom:
        return None
    return round(top / bottom, 3)
