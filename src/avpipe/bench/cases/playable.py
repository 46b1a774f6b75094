"""Case 9: time to playable: from ``avpipe process`` starting to something a browser plays.

Each trial runs the real command (``python -m avpipe --data DIR process FILE``) in its own
process group and reads the asset's manifest: ``playable_at`` (the preview published) and
``completed_at`` (the ladder published), both against the moment the command was started.

- ``browser_safe``: a 10-minute 1080p H.264/AAC talk. Its preview is a remux; the trial stops
  the command (the whole group, ffmpeg included) once the preview is published: its ladder
  would take ~20 minutes on two cores and is not what this variant measures.
- ``camera``: 30 s of 1080p ProRes 422 Proxy + PCM (an editor's export): its preview is the
  lowest rung, encoded fast; the trial runs to the end of the ladder.
- ``camera_no_preview``: the same with ``AVPIPE_PREVIEW=0``: the ladder alone, the baseline
  for "within 20 % of its full ladder time" (and for what making the preview costs).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from avpipe.bench.cases.base import BenchEnv, Case, Metrics, Spec, Summary, Target, at_most

PLAYABLE_TIMEOUT_S = 900.0


def prepare(env: BenchEnv) -> Spec:
    folder = env.work / "playable"
    folder.mkdir(parents=True, exist_ok=True)
    return {"work": str(folder), "browser_safe": str(env.inputs.long_talk()),
            "camera": str(env.inputs.camera_prores())}


def run(variant: str, spec: Spec) -> Metrics:
    source = spec["camera"] if variant.startswith("camera") else spec["browser_safe"]
    data = Path(spec["work"]) / variant
    environ = {**os.environ, "AVPIPE_PREVIEW": "0" if variant == "camera_no_preview" else "1"}
    manifest = data / "public" / "json" / f"{Path(source).stem}.json"
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "avpipe", "--data", str(data), "process", source],  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environ,
                            start_new_session=True)
    try:
        record = _wait(proc, manifest, started, until_complete=variant != "browser_safe")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    playable = _seconds(record.get("playable_at"), started)
    complete = _seconds(record.get("completed_at"), started)
    mode = next((h["message"] for h in record.get("history", []) if h["message"].startswith("preview")), None)
    return {"playable_s": playable, "complete_s": complete, "preview": mode,
            "source_s": (record.get("media") or {}).get("duration_s")}


def reset(spec: Spec) -> None:
    import shutil

    for variant in ("browser_safe", "camera", "camera_no_preview"):
        shutil.rmtree(Path(spec["work"]) / variant, ignore_errors=True)


def _wait(proc: subprocess.Popen[bytes], manifest: Path, started: float, *, until_complete: bool) -> dict[str, Any]:
    """Poll the manifest until the asset is playable (or complete); the last one read."""
    record: dict[str, Any] = {}
    while time.time() - started < PLAYABLE_TIMEOUT_S:
        record = _read(manifest) or record
        if (record.get("status") in ("complete", "failed")) or (not until_complete and record.get("playable_at")):
            break
        if proc.poll() is not None:
            record = _read(manifest) or record
            break
        time.sleep(0.05)
    if until_complete:
        proc.wait(timeout=PLAYABLE_TIMEOUT_S)
        record = _read(manifest) or record
    if record.get("status") == "failed":
        raise RuntimeError(f"avpipe failed on {manifest.stem}: {record.get('error')}")
    return record


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not written yet, or being replaced
        return None
    return data


def _seconds(stamp: str | None, started: float) -> float | None:
    if not stamp:
        return None
    return round(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - started, 2)


def targets(summary: Summary) -> list[Target]:
    safe = summary.get("browser_safe", {}).get("playable_s")
    return [at_most("browser-safe 10 min 1080p: seconds from `avpipe process` to playable", safe, 15.0),
            at_most("other source: playable time / its full ladder time (no preview)",
                    _share(summary, ("camera", "playable_s"), ("camera_no_preview", "complete_s")), 0.20),
            at_most("other source: ladder published with preview / without (what the preview costs)",
                    _share(summary, ("camera", "complete_s"), ("camera_no_preview", "complete_s")), 1.25)]


def _share(summary: Summary, top: tuple[str, str], bottom: tuple[str, str]) -> float | None:
    above, below = summary.get(top[0], {}).get(top[1]), summary.get(bottom[0], {}).get(bottom[1])
    if not isinstance(above, (int, float)) or not isinstance(below, (int, float)) or not below:
        return None
    return round(above / below, 3)


CASE = Case(9, "playable", "Time to playable: preview (remux or fast lowest rung) before the ladder",
            ("browser_safe", "camera", "camera_no_preview"), prepare, run, targets, reset=reset)
