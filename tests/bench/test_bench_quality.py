"""A smoke run of the quality case (8) with ``--quick``: every variant scores every rung of every
source, the BD-rates and targets are computed, one PNG per source is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from avpipe.bench.cases.quality import bd_rates, ladder_points
from avpipe.bench.quality_sources import SOURCES
from avpipe.ffmpeg.locate import wheel_ffmpeg
from avpipe.quality.measure import has_libvmaf


@pytest.mark.skipif(not has_libvmaf(wheel_ffmpeg()), reason="the wheel's ffmpeg has no libvmaf")
def test_quick_quality_case_scores_every_ladder_and_draws_the_plots(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    done = subprocess.run(  # noqa: S603 - an argument list
        [sys.executable, "-m", "avpipe.bench", "--quick", "--cases", "8", "--work", str(tmp_path / "work"),
         "--json", str(report_path)], capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    case = json.loads(report_path.read_text())["cases"][0]
    assert case["variants"] == ["avpipe", "peertube", "aws_vod"]
    for variant in case["variants"]:
        medians = case["medians"][variant]
        assert medians["encode_cpu_s"] > 0 and medians["vmaf_cpu_s"] > 0
        for source in SOURCES:
            points = ladder_points(medians, source)
            assert len(points) >= 2, (variant, source)
            assert all(rate > 0 and 0 <= p5 <= mean <= 100 for rate, mean, p5 in points.values())
            higher = list(points.values())
            assert higher[-1][1] > higher[0][1]  # the bigger rung scores higher
    rates = bd_rates(case["medians"])
    assert all(isinstance(rates[reference]["mean"], float) for reference in ("peertube", "aws_vod"))
    assert any("BD-rate vs PeerTube" in t["target"] for t in case["targets"])
    assert any(line.startswith("| talking_head | avpipe | 360p |") for line in case["details"])
    for source in SOURCES:
        png = tmp_path / "work" / "quick" / "quality" / f"rate_quality_{source}.png"
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
