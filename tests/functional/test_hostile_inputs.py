"""A corpus of broken and hostile uploads: each fails with one clear sentence, the pipeline keeps
running, the upload is kept, no request leaves ffmpeg and no local file content leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.config import MediaLimits, Settings
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

from hostile_corpus import SECRET, Listener, corpus
from media import MediaLibrary


def test_corpus_fails_cleanly(tmp_path: Path, media: MediaLibrary, listener: Listener) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    (tmp_path / "corpus").mkdir()
    uploads = corpus(tmp_path / "corpus", media, listener, secret_file)
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))
    for name, path in uploads.items():
        key = runtime.submit_file(str(path), name)
        manifest = runtime.process_key(key)
        assert manifest is not None and manifest.status is Status.FAILED, name
        assert manifest.error is not None and manifest.error.category == "bad_input", (name, manifest.error)
        reason = manifest.error.reason
        assert reason.endswith(".") and "\n" not in reason and "Traceback" not in reason, (name, reason)
        assert runtime.watch.exists(key), f"{name}: the upload is kept for inspection"
    good = runtime.process_key(runtime.submit_file(str(media.tiny)))
    assert good is not None and good.status is Status.COMPLETE, "the pipeline keeps running"
    assert listener.connections == 0, "nothing an upload contains made a request"
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file() and path.parent.name != "inputs" and path.parent.name != "original":
            assert SECRET.encode() not in path.read_bytes(), f"{path} leaks a local file's content"


@pytest.mark.parametrize(
    ("limits", "clip", "words"),
    [
        (MediaLimits(max_dimension=1000), "landscape_1080p", "1920x1080 pixels; the limit is 1000"),
        (MediaLimits(max_frame_rate=100), "high_fps", "120 frames per second"),
        (MediaLimits(max_duration_s=0.25), "tiny", "lasts 0.5 s; the limit is 0.25 s"),
        (MediaLimits(max_input_bytes=1000), "tiny", "bytes; the limit is 1000"),
    ],
)
def test_limits(tmp_path: Path, media: MediaLibrary, limits: MediaLimits, clip: str, words: str) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, limits=limits))
    manifest = runtime.process_key(runtime.submit_file(str(media.get(clip))))
    assert manifest is not None and manifest.status is Status.FAILED
    assert manifest.error is not None and words in manifest.error.reason


@pytest.mark.parametrize("name", ["back\\slash.mp4", "control\x07char.mp4"])
def test_hostile_names_in_the_watch_folder_are_refused_without_crashing(tmp_path: Path, media: MediaLibrary,
                                                                        name: str) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    inputs = tmp_path / "watch/inputs"
    inputs.mkdir(parents=True)
    (inputs / name).write_bytes(media.tiny.read_bytes())
    assert runtime.process_key(f"inputs/{name}") is None
    assert (inputs / name).exists() and list(runtime.public.list("")) == []
