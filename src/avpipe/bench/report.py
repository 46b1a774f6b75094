"""The report: medians per variant, ratios to the baselines, peak memory, targets; text and JSON."""

from __future__ import annotations

import os
import platform
import statistics
from typing import Any

from avpipe.bench.cases import CASES
from avpipe.bench.cases.base import Summary

SHOWN = ("wall_s", "cpu_s", "peak_rss_mb", "peak_tree_rss_mb")


def summarise(trials: dict[str, list[dict[str, Any]]]) -> Summary:
    """The median of every numeric metric, per variant."""
    summary: Summary = {}
    for variant, runs in trials.items():
        keys = {k for run in runs for k, v in run.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        summary[variant] = {k: _median([run[k] for run in runs if k in run]) for k in sorted(keys)}
    return summary


def _median(values: list[float]) -> float:
    return round(float(statistics.median(values)), 4)


def build_report(results: dict[int, dict[str, list[dict[str, Any]]]], repeat: int, *, quick: bool = False
                 ) -> dict[str, Any]:
    """The report; on a ``quick`` run, targets that tiny inputs cannot show are not judged (``met``: None)."""
    cases = []
    for number, trials in results.items():
        case = CASES[number]
        summary = summarise(trials)
        first = case.variants[0]
        ratios = {v: _ratio(summary[first]["wall_s"], summary[v]["wall_s"]) for v in case.variants[1:]}
        cases.append({"case": number, "name": case.name, "title": case.title, "variants": list(case.variants),
                      "medians": summary, "wall_ratio_to": ratios, "details": case.details(summary),
                      "targets": [t.to_dict(quick) for t in case.targets(summary)], "trials": trials})
    return {"machine": machine(), "repeat": repeat, "quick": quick, "cases": cases}


def _ratio(top: float, bottom: float) -> float | None:
    return round(top / bottom, 3) if bottom else None


def machine() -> dict[str, Any]:
    """Where the numbers were taken: cores, CPU model, memory."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), "")
    except OSError:
        pass
    memory_gb = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory_gb = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    return {"cores": os.cpu_count(), "cpu": model or platform.processor(), "memory_gb": memory_gb,
            "python": platform.python_version(), "system": platform.platform()}


def render(report: dict[str, Any]) -> str:
    """A plain-text table (Markdown-compatible) of medians, ratios and targets."""
    m = report["machine"]
    lines = [f"machine: {m['cores']} cores, {m['cpu']}, {m['memory_gb']} GB; medians of {report['repeat']} run(s)", "",
             "| case | variant | wall s | ratio | CPU s | peak RSS MB | tree RSS MB | other |",
             "|---|---|---|---|---|---|---|---|"]
    for case in report["cases"]:
        first = case["variants"][0]
        for variant in case["variants"]:
            med = case["medians"][variant]
            ratio = "1" if variant == first else f"{1 / r:.2f}" if (r := case["wall_ratio_to"][variant]) else "-"
            other = ", ".join(f"{k}={_short(v)}" for k, v in med.items() if k not in SHOWN and v and _interesting(k))
            lines.append(f"| {case['case']} {case['name']} | {variant} | {med['wall_s']:.2f} | {ratio} | "
                         f"{med['cpu_s']:.2f} | {med['peak_rss_mb']:.0f} | {med['peak_tree_rss_mb']:.0f} | {other} |")
    lines += ["", "ratio: the variant's wall time / avpipe's (above 1: avpipe is faster)"]
    for case in report["cases"]:
        if case.get("details"):
            lines += ["", f"case {case['case']} ({case['name']}):", *case["details"]]
    lines += ["", "targets:"]
    for case in report["cases"]:
        for target in case["targets"]:
            mark = "n/a (quick)" if target["met"] is None else "met" if target["met"] else "NOT met"
            lines.append(f"  case {case['case']}: {target['target']}: {target['value']} (limit {target['limit']}) "
                         f"{mark}")
    return "\n".join(lines)


def _interesting(key: str) -> bool:
    return key.startswith(("cues_per_s", "s3_object", "s3_unranged", "s3_copies", "peak_child")) or key in (
        "outputs", "clips", "workers", "playable_s", "complete_s")


def _short(value: float) -> str:
    if isinstance(value, float) and value >= 1e5 or isinstance(value, int) and value >= 1e5:
        return f"{value / 2**20:.1f}MiB" if value >= 2**20 else f"{value / 1024:.0f}KiB"
    return f"{value:g}"
