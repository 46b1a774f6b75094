"""``avpipe plan`` prices the job and, once this machine's encode speed is measured, times it;
the calibration lives in the user's cache (here a temporary folder), never beside the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avpipe.cli import main
from avpipe.config import Settings
from avpipe.cost.calibration import CALIBRATION_FILE, Calibration, load_calibration, save_calibration
from avpipe.cost.estimate import NOT_CALIBRATED, machine_of, plan_with_estimate
from avpipe.pipeline.local_runtime import LocalRuntime

from media import make_av

SMALL_CLIP = "testsrc2=size=640x360:rate=30:duration=0.5"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AVPIPE_CACHE_DIR", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # nothing may land in the real ~/.cache
    return folder


@pytest.fixture
def source(tmp_path: Path, media_ffmpeg: str) -> Path:
    return make_av(media_ffmpeg, tmp_path / "talk.mp4", size="1280x720", rate="25", duration=1.0)


def _plan(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["plan", "--json", *argv]) == 0
    plan: dict[str, object] = json.loads(capsys.readouterr().out)
    return plan


def test_the_plan_json_holds_the_mediaconvert_price(
    cache: Path, source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    plan = _plan(capsys, "--data", str(tmp_path / "data"), str(source))
    estimate = plan["estimate"]
    assert isinstance(estimate, dict)
    price = estimate["mediaconvert"]
    assert [o["name"] for o in price["outputs"]] == ["_360p", "_480p", "_720p"]
    assert price["tier"] == "basic"
    assert price["usd"] == pytest.approx((0.0075 + 0.0075 + 0.015) / 6)  # 10 s minimum each
    assert price["price_table"]["as_of"] == "2024-12-01"
    assert estimate["local"] == {"wall_s": None, "cpu_s": None, "reason": NOT_CALIBRATED}
    assert not cache.exists() and not (tmp_path / "home").exists()


def test_a_kept_calibration_times_the_job(
    cache: Path, source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    save_calibration(cache, Calibration(1e7, 2e7, machine_of(runtime), "2026-01-01T00:00:00.000Z"))
    local = _plan(capsys, "--data", str(tmp_path / "data"), str(source))["estimate"]["local"]  # type: ignore[index]
    pixels = (640 * 360 + 854 * 480 + 1280 * 720) * 25 * 1.0
    assert (local["wall_s"], local["cpu_s"]) == (round(pixels / 1e7, 2), round(pixels / 2e7, 2))
    capsys.readouterr()
    assert main(["plan", "--data", str(tmp_path / "data"), str(source)]) == 0
    assert f"locally: about {pixels / 1e7:.1f} s wall" in capsys.readouterr().out


def test_estimate_measures_this_machine_once_and_keeps_it_in_the_cache(cache: Path, source: Path,
                                                                         tmp_path: Path) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    first = plan_with_estimate(runtime, source, cache, measure=True, clip=SMALL_CLIP)["estimate"]["local"]
    assert first["wall_s"] > 0 and first["cpu_s"] > 0
    kept = load_calibration(cache, machine_of(runtime))
    assert kept is not None and kept.pixel_rate > 0
    assert first["calibration"] == kept.to_dict()
    stamp = (cache / CALIBRATION_FILE).stat().st_mtime_ns
    again = plan_with_estimate(runtime, source, cache, measure=True, clip=SMALL_CLIP)["estimate"]["local"]
    assert again == first and (cache / CALIBRATION_FILE).stat().st_mtime_ns == stamp  # measured once


def test_a_calibration_of_another_setup_or_a_broken_file_is_not_used(tmp_path: Path) -> None:
    machine = {"ffmpeg": "7.1", "cores": 8, "threads": 0}
    save_calibration(tmp_path, Calibration(1e7, 2e7, machine, "2026-01-01T00:00:00.000Z"))
    assert load_calibration(tmp_path, machine) is not None
    assert load_calibration(tmp_path, {**machine, "cores": 2}) is None
    (tmp_path / CALIBRATION_FILE).write_text("{not json")
    assert load_calibration(tmp_path, machine) is None
