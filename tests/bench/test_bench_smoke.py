"""A smoke run of ``python -m avpipe.bench --quick``: the report's structure, never its timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avpipe.bench.cases import CASES

pytestmark = pytest.mark.slow


def test_quick_run_reports_every_variant_with_medians_memory_and_targets(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "avpipe.bench", "--quick", "--repeat", "2", "--cases", "5,4",
         "--json", str(report_path), "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["repeat"] == 2 and report["machine"]["cores"] >= 1
    assert [case["case"] for case in report["cases"]] == [5, 4]
    for case in report["cases"]:
        assert case["variants"] == list(CASES[case["case"]].variants)
        for variant in case["variants"]:
            assert len(case["trials"][variant]) == 2
            medians = case["medians"][variant]
            assert medians["wall_s"] > 0 and medians["cpu_s"] >= 0 and medians["peak_rss_mb"] > 0
        assert set(case["wall_ratio_to"]) == set(case["variants"][1:])
    captions, copies = report["cases"]
    assert {k for k in captions["medians"]["avpipe"] if k.startswith("cues_per_s_")} == {
        f"cues_per_s_{name}" for name in ("SRT", "WebVTT", "SCC", "DFXP", "SAMI")}
    # the copies are server-side: no object byte passes through the process, unlike the baseline's
    assert copies["medians"]["avpipe"]["s3_object_bytes_read"] == 0
    assert copies["medians"]["through_client"]["s3_object_bytes_read"] > 0
    assert [t["met"] for t in copies["targets"]] == [True]
    assert "| 5 captions | avpipe |" in done.stdout and "targets:" in done.stdout and "NOT met" not in done.stdout


def test_quick_targets_that_need_real_inputs_are_not_judged() -> None:
    from avpipe.bench.report import build_report, render

    trial = {"wall_s": 1.0, "cpu_s": 1.0, "peak_rss_mb": 50.0, "peak_tree_rss_mb": 50.0, "s3_object_bytes_read": 9e6,
             "object_mb": 10, "peak_child_rss_mb": 90.0}
    results = {3: {"avpipe": [trial], "download": [trial]}}
    quick, full = build_report(results, 1, quick=True), build_report(results, 1)
    assert [t["met"] for t in quick["cases"][0]["targets"]] == [None, True]  # a share of a tiny file says nothing
    assert [t["met"] for t in full["cases"][0]["targets"]] == [False, True]
    assert "(limit 5.0) n/a (quick)" in render(quick) and "(limit 5.0) NOT met" in render(full)


def test_quick_time_to_playable_measures_the_preview_against_the_ladder(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "avpipe.bench", "--quick", "--cases", "9", "--json", str(report_path),
         "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    [case] = json.loads(report_path.read_text())["cases"]
    trials = case["trials"]
    [safe], [camera], [ladder_only] = trials["browser_safe"], trials["camera"], trials["camera_no_preview"]
    assert safe["preview"] == "preview published (remux)" and safe["playable_s"] > 0
    assert camera["preview"] == "preview published (fast encode)"
    assert 0 < camera["playable_s"] < camera["complete_s"]  # playable before the ladder was published
    assert ladder_only["preview"] is None and ladder_only["playable_s"] == ladder_only["complete_s"]
    assert [t["target"].split(":")[0] for t in case["targets"]] == [
        "browser-safe 10 min 1080p", "other source", "other source"]
