"""Playable in seconds: the preview is published while the ladder runs, then replaced by it.

Real ffmpeg on generated clips. "While the ladder runs" is observed from inside: the local
backend reports the ladder's progress to a listener, which looks at the public store then.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from avpipe.analysis.mediainfo import probe
from avpipe.analysis.routing import Route
from avpipe.config import Settings
from avpipe.errors import TransientError
from avpipe.keys import AssetKeys
from avpipe.manifest import Manifest, Status
from avpipe.manifest.repository import load_manifest, save_manifest
from avpipe.pipeline.events import JobOutput, JobStateChange
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.pipeline.preview import preview_state_change
from avpipe.planning.asset import plan_asset
from avpipe.transcode.local import LocalTranscoder

from media import make_av, run_ffmpeg

SCHEMA = json.loads(resources.files("avpipe.schemas").joinpath("manifest.schema.json").read_text())


class Watcher:
    """A progress listener that records what the public store holds while the ladder encodes."""

    def __init__(self) -> None:
        self.runtime: LocalRuntime | None = None
        self.seen: dict[str, tuple[Manifest | None, bool]] = {}

    def duration_s(self, metadata: Mapping[str, str]) -> float | None:
        return None

    def update(self, metadata: Mapping[str, str], fraction: float) -> None:
        assert self.runtime is not None and metadata.get("role") != "preview"
        name = metadata["asset"]
        if name not in self.seen:
            public = self.runtime.public
            self.seen[name] = (load_manifest(public, name), public.exists(f"audiovideo/{name}_preview.mp4"))


def packets_md5(ffmpeg: str, path: Path, stream: str = "v") -> str:
    """The MD5 of the file's video (or audio) packets as stored (identical for a remux, never for an encode)."""
    out = subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-map", f"0:{stream}:0", "-c", "copy",  # noqa: S603
                          "-f", "md5", "-"], capture_output=True, text=True, check=True).stdout
    return out.strip()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("preview-clips")
    safe = make_av(media_ffmpeg, folder / "safe.mp4", size="1280x720", duration=4.0)
    unsafe = folder / "unsafe.mp4"  # H.264 4:4:4: not what every browser plays
    run_ffmpeg(media_ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=4", "-f", "lavfi",
               "-i", "sine=duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p",
               "-c:a", "aac", "-movflags", "+faststart", str(unsafe))
    return {"safe": safe, "unsafe": unsafe}


def run(tmp_path: Path, clips: dict[str, Path], *names: str, **settings: Any) -> tuple[LocalRuntime, Watcher]:
    watcher = Watcher()
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, workers=1, **settings))
    runtime.progress = watcher
    watcher.runtime = runtime
    for name in names:
        runtime.process_key(runtime.submit_file(str(clips[name]), f"{name}.mp4"))
    return runtime, watcher


def test_the_preview_plays_while_the_ladder_runs_and_goes_when_it_is_published(
        tmp_path: Path, clips: dict[str, Path], media_ffmpeg: str) -> None:
    runtime, watcher = run(tmp_path, clips, "safe", "unsafe")
    public = Path(runtime.public.url)
    for name, mode in (("safe", "remux"), ("unsafe", "fast encode")):
        during, preview_there = watcher.seen[name]
        assert during is not None and during.status is Status.PROCESSING and preview_there, name
        assert during.preview is not None and during.preview.key == f"audiovideo/{name}_preview.mp4"
        assert during.preview.kind == "preview" and during.preview.file is not None
        assert during.playable_at is not None
        assert f"preview published ({mode})" in [h["message"] for h in during.history]
        assert during.preview.codecs and during.preview.codecs.startswith("avc1.")
        jsonschema.validate(during.to_dict(), SCHEMA)

        done = load_manifest(runtime.public, name)
        assert done is not None and done.status is Status.COMPLETE and done.preview is None
        assert done.playable_at == during.playable_at and done.playable_at < (done.completed_at or "")
        assert not (public / f"audiovideo/{name}_preview.mp4").exists()  # replaced by the ladder
        assert not list((public / "staging").rglob("*_preview*")) if (public / "staging").exists() else True
        jsonschema.validate(done.to_dict(), SCHEMA)


def test_a_remuxed_preview_carries_the_source_video_unchanged(tmp_path: Path, clips: dict[str, Path],
                                                             media_ffmpeg: str) -> None:
    """The preview job on its own, executed as the pipeline executes it: its video packets are the source's."""
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, workers=1))
    keys = AssetKeys.for_input(runtime.submit_file(str(clips["safe"]), "safe.mp4"))
    facts = probe(str(clips["safe"]))
    planned = plan_asset(keys, facts, Route.VIDEO, settings=runtime.settings, video_template=runtime.templates.video,
                         audio_template=runtime.templates.audio, watch_uri=runtime.watch.uri,
                         public_uri=runtime.public.uri, upload_version="v")
    assert planned.preview_job is not None and planned.preview_reason is None
    events: list[Any] = []
    LocalTranscoder(runtime.runner, [runtime.watch, runtime.public], events.append).submit(planned.preview_job)
    [done] = events
    assert done.status == "COMPLETE"
    [output] = done.outputs
    staged = Path(runtime.public.url) / runtime.public.key_for_uri(output.uri)
    assert staged.name == "safe_preview.mp4" and "staging" in staged.parts  # published only by its completion
    assert packets_md5(media_ffmpeg, staged) == packets_md5(media_ffmpeg, clips["safe"])  # not re-encoded
    preview = probe(str(staged))
    assert facts.duration_s is not None and preview.duration_s == pytest.approx(facts.duration_s, abs=0.05)
    assert preview.audio and preview.audio[0].codec == "AAC"
    assert packets_md5(media_ffmpeg, staged, "a") == packets_md5(media_ffmpeg, clips["safe"], "a")  # AAC copied


def test_a_preview_that_fails_leaves_the_ladder_alone(tmp_path: Path, clips: dict[str, Path],
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    real_submit = LocalTranscoder.submit

    def submit(self: LocalTranscoder, request: dict[str, Any]) -> str:
        if request["UserMetadata"].get("role") == "preview":
            raise TransientError("The preview could not be started.")
        return real_submit(self, request)

    monkeypatch.setattr(LocalTranscoder, "submit", submit)
    with caplog.at_level(logging.WARNING, logger="avpipe"):
        runtime, watcher = run(tmp_path, clips, "safe")
    done = load_manifest(runtime.public, "safe")
    assert done is not None and done.status is Status.COMPLETE and done.preview is None
    assert done.playable_at == done.completed_at  # playable when the ladder was published
    assert watcher.seen["safe"][1] is False
    assert "no preview (The preview could not be started.)" in caplog.text


def test_no_preview_when_switched_off(tmp_path: Path, clips: dict[str, Path]) -> None:
    runtime, watcher = run(tmp_path, clips, "safe", preview=False)
    during, there = watcher.seen["safe"]
    assert during is not None and during.preview is None and during.playable_at is None and not there
    done = load_manifest(runtime.public, "safe")
    assert done is not None and done.status is Status.COMPLETE and done.playable_at == done.completed_at


def test_a_preview_finishing_after_the_ladder_is_discarded(tmp_path: Path, clips: dict[str, Path]) -> None:
    runtime, _ = run(tmp_path, clips, "safe", preview=False)
    done = load_manifest(runtime.public, "safe")
    assert done is not None and done.status is Status.COMPLETE
    staged = "staging/late/safe_preview.mp4"
    runtime.public.put(staged, clips["safe"])
    late = JobStateChange("late-preview", "COMPLETE", {"application": "avpipe", "asset": "safe",
                                                       "input": "inputs/safe.mp4", "role": "preview"},
                          (JobOutput(runtime.public.uri(staged)),))
    ctx = runtime.context(lambda _event: None)
    assert preview_state_change(ctx, late) is None
    assert not runtime.public.exists(staged) and not runtime.public.exists("audiovideo/safe_preview.mp4")
    assert load_manifest(runtime.public, "safe") == done
    save_manifest(runtime.public, done)  # the manifest is untouched and still valid
