"""File integrity on a local store: recorded digests, ``avpipe verify``, identical re-uploads."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from avpipe.config import Settings
from avpipe.manifest import load_manifest, save_manifest
from avpipe.manifest.model import Manifest
from avpipe.pipeline.local_runtime import LocalRuntime

from media import MediaLibrary

SCHEMA = json.loads((Path(__file__).parents[2] / "src/avpipe/schemas/manifest.schema.json").read_text())
RENDITION = "audiovideo/talk_360p.mp4"


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def notify(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def make_runtime(data: Path, notifier: Recorder | None = None) -> LocalRuntime:
    runtime = LocalRuntime.from_settings(Settings(data_dir=data, rungs=(360,)))
    runtime.notifier = notifier
    return runtime


@pytest.fixture
def asset(tmp_path: Path, media: MediaLibrary) -> tuple[LocalRuntime, Manifest]:
    runtime = make_runtime(tmp_path)
    runtime.process_key(runtime.submit_file(str(media.srt), "talk.srt"))
    manifest = runtime.process_key(runtime.submit_file(str(media.landscape_720p), "talk.mp4"))
    assert manifest is not None and manifest.status == "complete"
    return runtime, manifest


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def avpipe(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AVPIPE_")}
    return subprocess.run([sys.executable, "-m", "avpipe", "verify", "--data", str(data), *args],
                          capture_output=True, text=True, env=environ, timeout=120, check=False)


def test_every_published_file_has_its_size_and_sha256(asset: tuple[LocalRuntime, Manifest], tmp_path: Path) -> None:
    runtime, manifest = asset
    public = tmp_path / "public"
    records = {manifest.original: manifest.original_file, manifest.thumbnail: manifest.thumbnail_file,
               **{o.key: o.file for o in manifest.outputs}, **{c.key: c.file for c in manifest.captions}}
    streams = {f"audiovideo/talk{name}" for name in (".m3u8", ".mpd", "_360p.m3u8", "_360p.cmfv", "_audio.m3u8",
                                                      "_audio.cmfa", "_captions_und.m3u8", "_captions_und.vtt")}
    # the HLS/DASH stream's files: the captions uploaded first are its subtitle rendition
    assert set(records) == {"original/talk.mp4", "thumbnail/talk.jpg", RENDITION, "closed-caption/talk.vtt", *streams}
    for key, record in records.items():
        assert record is not None and record.proof == "sha256", key
        assert record.size == (public / key).stat().st_size, key
        assert record.sha256 == sha256_of(public / str(key)), key  # an independent hashlib computation
    jsonschema.validate(json.loads((public / "json/talk.json").read_text()), SCHEMA)


def test_outputs_carry_codecs_and_measured_bitrates(asset: tuple[LocalRuntime, Manifest], tmp_path: Path) -> None:
    _, manifest = asset
    (output,) = [o for o in manifest.outputs if o.kind == "rendition"]
    assert output.codecs is not None and output.codecs.startswith("avc1.64") and output.codecs.endswith(",mp4a.40.2")
    assert output.file is not None and output.bitrate and output.video_bitrate and output.audio_bitrate
    duration = float(manifest.media["duration_s"]) if manifest.media else 0.0
    assert abs(output.bitrate - output.file.size * 8 / duration) / output.bitrate < 0.1
    assert output.video_bitrate + output.audio_bitrate <= output.bitrate
    assert 32_000 < output.audio_bitrate < 256_000


def test_verify_passes_on_a_fresh_asset_and_records_it(asset: tuple[LocalRuntime, Manifest], tmp_path: Path) -> None:
    runtime, _ = asset
    result = avpipe(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["talk: ok (12 files)"]
    check = load_manifest(runtime.public, "talk")
    assert check is not None and check.verification is not None
    assert check.verification.ok and check.verification.files == 12 and not check.verification.decoded


@pytest.mark.parametrize("damage", ["one byte changed", "truncated", "deleted"])
def test_verify_fails_naming_the_damaged_file(asset: tuple[LocalRuntime, Manifest], tmp_path: Path,
                                             damage: str) -> None:
    runtime, _ = asset
    path = tmp_path / "public" / RENDITION
    data = bytearray(path.read_bytes())
    if damage == "one byte changed":
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        path.write_bytes(bytes(data[:-1000]))
    else:
        path.unlink()
    result = avpipe(tmp_path, "talk")
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    expected = {"one byte changed": "sha256 differs", "truncated": f"size {len(data) - 1000} bytes",
                "deleted": "is missing"}[damage]
    assert line.startswith("talk: FAILED") and RENDITION in line and expected in line, line
    assert str(tmp_path) not in line and "Traceback" not in result.stderr
    check = load_manifest(runtime.public, "talk")
    assert check is not None and check.verification is not None and not check.verification.ok
    assert any(RENDITION in problem for problem in check.verification.problems)
    jsonschema.validate(json.loads((tmp_path / "public/json/talk.json").read_text()), SCHEMA)


def test_decode_catches_damage_that_keeps_the_size_and_digest_record(
    asset: tuple[LocalRuntime, Manifest], tmp_path: Path
) -> None:
    """A rendition damaged before its digest was taken (say, by the encoder's disk): only decoding sees it."""
    runtime, manifest = asset
    path = tmp_path / "public" / RENDITION
    data = bytearray(path.read_bytes())
    size = len(data)
    data[size // 2:size // 2 + 4096] = os.urandom(4096)
    path.write_bytes(bytes(data))
    outputs = tuple(replace(o, file=runtime.public.fingerprint(o.key)) for o in manifest.outputs)
    save_manifest(runtime.public, replace(manifest, outputs=outputs))
    assert path.stat().st_size == size

    assert avpipe(tmp_path).returncode == 0, "size and digest match the (damaged) record"
    result = avpipe(tmp_path, "--decode", "talk")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"talk: FAILED (12 files, decoded): {RENDITION} decodes with errors: "
                                          "its media data is damaged."] or \
        result.stdout.splitlines() == [f"talk: FAILED (12 files, decoded): {RENDITION} does not decode: "
                                       "its media data is damaged."]


def test_verify_names_an_unknown_asset(tmp_path: Path) -> None:
    result = avpipe(tmp_path, "nothing")
    assert result.returncode == 1 and result.stdout.strip() == "nothing: FAILED: no such asset."


def test_an_identical_reupload_is_recognised_and_not_encoded_again(tmp_path: Path, media: MediaLibrary) -> None:
    recorder = Recorder()
    runtime = make_runtime(tmp_path, recorder)
    first = runtime.process_key(runtime.submit_file(str(media.landscape_720p), "talk.mp4"))
    assert first is not None and first.original_file is not None and first.job is not None
    digest = hashlib.sha256(media.landscape_720p.read_bytes()).hexdigest()
    assert first.original_file.sha256 == digest
    (completed,) = recorder.events
    assert completed["detail"]["userMetadata"]["originalSha256"] == digest  # in the completion notification
    rendition = (tmp_path / "public" / RENDITION).stat()

    again = runtime.process_key(runtime.submit_file(str(media.landscape_720p), "talk.mp4"))
    assert again is not None and again.status == "complete"
    assert again.job == first.job and again.outputs == first.outputs, "no new job"
    assert "same bytes as the published original" in again.history[-1]["message"]
    assert (tmp_path / "public" / RENDITION).stat().st_mtime_ns == rendition.st_mtime_ns, "not rewritten"
    assert not (tmp_path / "watch/inputs/talk.mp4").exists(), "the upload is done with"
    assert len(recorder.events) == 1, "no second job, no second notification"

    changed = runtime.process_key(runtime.submit_file(str(media.landscape_1080p), "talk.mp4"))
    assert changed is not None and changed.job != first.job, "other bytes are encoded"
    assert changed.original_file is not None and changed.original_file.sha256 != digest


def test_a_retry_encodes_again_even_with_the_same_bytes(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = make_runtime(tmp_path)
    first = runtime.process_key(runtime.submit_file(str(media.tiny), "clip.mp4"))
    assert first is not None and first.job is not None
    again = runtime.retry("clip", force=True)  # a complete asset is re-encoded only when forced
    assert again is not None and again.status == "complete" and again.job != first.job


def test_a_caption_only_asset_verifies(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = make_runtime(tmp_path)
    manifest = runtime.process_key(runtime.submit_file(str(media.srt), "notes.srt"))
    assert manifest is not None and manifest.kind == "caption" and manifest.original_file is not None
    assert manifest.original_file.sha256 == hashlib.sha256(media.srt.read_bytes()).hexdigest()
    result = avpipe(tmp_path, "notes")
    assert result.returncode == 0 and result.stdout.strip() == "notes: ok (2 files)", result.stdout
