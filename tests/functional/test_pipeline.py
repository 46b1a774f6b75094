"""The local pipeline end to end on real clips: real ffmpeg, real MediaInfo, real pycaption."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import webvtt
from pymediainfo import MediaInfo

from avpipe.config import Settings
from avpipe.ffmpeg import FfmpegRunner
from avpipe.manifest import Manifest, Status
from avpipe.pipeline.local_runtime import LocalRuntime

from media import MediaLibrary

CAPTIONS = Path(__file__).parent.parent / "data" / "captions"
SCHEMA = json.loads(resources.files("avpipe.schemas").joinpath("manifest.schema.json").read_text())

# input name in inputs/  ->  clip name in the media library (or a caption sample path)
UPLOADS = {
    "course1/intro.mp4": "landscape_1080p",
    "course1/intro.srt": "srt",
    "portrait.mp4": "portrait",
    "rotated.mp4": "rotated",
    "anamorphic.mp4": "anamorphic",
    "silent.mp4": "silent",
    "surround.mp4": "surround",
    "dvd.mpg": "mpeg_ps",
    "tiny.mp4": "tiny",
    "fast.mp4": "high_fps",
    "long name with spaces é.mp4": "spaced_name",
    "song.mp3": "mp3",
    "cover.mp3": "mp3_cover",
    "tone.wav": "wav",
    "tone.ogg": "ogg",
    "tone.flac": "flac",
    "tone.m4a": "m4a",
    "cover-art.m4a": "m4a_cover",
    "corrupt.mp4": "corrupt_mp4",
    "page.mp4": "text_mp4",
    "truncated.mp4": "truncated_mp4",
    "bilingual.dfxp": CAPTIONS / "sample_multilang.dfxp",
    "subs.smi": "sami",
    "broken.srt": CAPTIONS / "broken.srt",
}


def progressive(manifest: Any) -> list[Any]:
    """The manifest's MP4/MP3 files (a video's HLS/DASH stream files are listed beside them)."""
    return [o for o in manifest.outputs if o.key.endswith((".mp4", ".mp3"))]


class Processed:
    def __init__(self, runtime: LocalRuntime, manifests: dict[str, Manifest | None]) -> None:
        self.runtime = runtime
        self.manifests = manifests
        self.public = Path(runtime.public.url)
        self.watch = Path(runtime.watch.url)

    def manifest(self, upload: str) -> Manifest:
        manifest = self.manifests[upload]
        assert manifest is not None
        return manifest

    def path(self, key: str) -> Path:
        return self.public / key


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory, media: MediaLibrary, ffmpeg_exe: str) -> Processed:
    data = tmp_path_factory.mktemp("data")
    runtime = LocalRuntime.from_settings(Settings(data_dir=data, workers=1))
    manifests = {}
    for name, clip in UPLOADS.items():
        source = clip if isinstance(clip, Path) else media.get(clip)
        key = runtime.submit_file(str(source), name)
        manifests[name] = runtime.process_key(key)
    return Processed(runtime, manifests)


def tracks(path: Path, kind: str) -> list[Any]:
    return [t for t in MediaInfo.parse(path).tracks if t.track_type == kind]


def rendition_sizes(processed: Processed, upload: str) -> list[tuple[str, int, int]]:
    result = []
    for output in progressive(processed.manifest(upload)):
        video = tracks(processed.path(output.key), "Video")[0]
        result.append((output.key.rsplit("/", 1)[-1], int(video.width), int(video.height)))
    return result


def test_every_manifest_matches_the_schema(processed: Processed) -> None:
    for upload, manifest in processed.manifests.items():
        assert manifest is not None, upload
        on_disk = json.loads(processed.path(f"json/{manifest.name}.json").read_text())
        jsonschema.validate(on_disk, SCHEMA)


def test_1080p_ladder_in_a_subfolder(processed: Processed) -> None:
    manifest = processed.manifest("course1/intro.mp4")
    assert manifest.status is Status.COMPLETE and manifest.kind == "video"
    assert rendition_sizes(processed, "course1/intro.mp4") == [
        ("intro_360p.mp4", 640, 360), ("intro_480p.mp4", 854, 480),
        ("intro_720p.mp4", 1280, 720), ("intro_1080p.mp4", 1920, 1080)]
    for output in progressive(manifest):
        path = processed.path(output.key)
        assert output.key.startswith("audiovideo/course1/")
        video, audio = tracks(path, "Video")[0], tracks(path, "Audio")[0]
        assert (video.format, audio.format) == ("AVC", "AAC")
        assert (int(audio.channel_s), int(audio.sampling_rate)) == (2, 48000)
        assert float(video.pixel_aspect_ratio) == pytest.approx(1.0)
        head = path.read_bytes()
        assert head.index(b"moov") < head.index(b"mdat"), "faststart: moov before mdat"


def test_original_thumbnail_and_input_cleanup(processed: Processed, media: MediaLibrary) -> None:
    manifest = processed.manifest("course1/intro.mp4")
    assert processed.path("original/course1/intro.mp4").read_bytes() == media.landscape_1080p.read_bytes()
    assert manifest.thumbnail == "thumbnail/course1/intro.jpg"
    image = tracks(processed.path(manifest.thumbnail), "Image")[0]
    assert (int(image.width), int(image.height)) == (1920, 1080)
    assert not (processed.watch / "inputs/course1/intro.mp4").exists()
    assert manifest.media and manifest.media["duration_s"] == pytest.approx(1.0, abs=0.1)
    assert [h["message"].split(" (")[0] for h in manifest.history] == [
        "analysed; action transcode_video", "preview published", f"job {manifest.job['id']} complete"]


def test_captions_attach_to_the_video_of_the_same_name(processed: Processed) -> None:
    manifest = processed.manifest("course1/intro.mp4")
    latest = processed.manifest("course1/intro.srt")
    assert latest.name == manifest.name and latest.kind == "video"
    (entry,) = latest.captions
    assert (entry.key, entry.status, entry.format) == ("closed-caption/course1/intro.vtt", "complete", "SRT")
    cues = webvtt.read(str(processed.path(entry.key)))
    assert len(cues) == entry.cues and entry.cues and cues[0].text


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        ("portrait.mp4", [("portrait_360p.mp4", 360, 640), ("portrait_480p.mp4", 480, 854),
                          ("portrait_720p.mp4", 720, 1280)]),
        ("rotated.mp4", [("rotated_360p.mp4", 360, 640), ("rotated_480p.mp4", 480, 854),
                         ("rotated_720p.mp4", 720, 1280)]),
        ("anamorphic.mp4", [("anamorphic_360p.mp4", 640, 360), ("anamorphic_480p.mp4", 854, 480)]),
        ("tiny.mp4", [("tiny_90p.mp4", 160, 90)]),
        ("long name with spaces é.mp4", [("long name with spaces é_180p.mp4", 320, 180)]),
    ],
)
def test_geometry(processed: Processed, upload: str, expected: list[tuple[str, int, int]]) -> None:
    assert processed.manifest(upload).status is Status.COMPLETE
    assert rendition_sizes(processed, upload) == expected
    for output in progressive(processed.manifest(upload)):
        video = tracks(processed.path(output.key), "Video")[0]
        assert float(video.rotation or 0) == 0, "rotation applied to the pixels, none left in metadata"
        assert float(video.pixel_aspect_ratio) == pytest.approx(1.0)


def test_rotated_thumbnail_is_portrait(processed: Processed) -> None:
    image = tracks(processed.path(processed.manifest("rotated.mp4").thumbnail or ""), "Image")[0]
    assert (int(image.width), int(image.height)) == (720, 1280)


def test_silent_video_stays_silent(processed: Processed) -> None:
    manifest = processed.manifest("silent.mp4")
    assert manifest.status is Status.COMPLETE
    for output in progressive(manifest):
        assert tracks(processed.path(output.key), "Audio") == []


def test_surround_is_downmixed_to_stereo(processed: Processed) -> None:
    manifest = processed.manifest("surround.mp4")
    assert manifest.media and manifest.media["audio"][0]["channels"] == 6
    for output in progressive(manifest):
        assert int(tracks(processed.path(output.key), "Audio")[0].channel_s) == 2


def test_mpeg_program_stream(processed: Processed) -> None:
    manifest = processed.manifest("dvd.mpg")
    assert manifest.status is Status.COMPLETE, manifest.error
    assert [o.rung for o in progressive(manifest)] == [360, 480]


def test_frame_rate_is_capped_at_60(processed: Processed) -> None:
    manifest = processed.manifest("fast.mp4")
    for output in progressive(manifest):
        assert float(tracks(processed.path(output.key), "Video")[0].frame_rate) == pytest.approx(60.0)


def test_mp3_is_copied_byte_for_byte(processed: Processed, media: MediaLibrary) -> None:
    for upload, clip in (("song.mp3", media.mp3), ("cover.mp3", media.mp3_cover)):
        manifest = processed.manifest(upload)
        assert (manifest.kind, manifest.status) == ("audio", Status.COMPLETE)
        assert [o.key for o in progressive(manifest)] == [f"audiovideo/{upload}"]
        assert processed.path(f"audiovideo/{upload}").read_bytes() == clip.read_bytes()


@pytest.mark.parametrize("upload", ["tone.wav", "tone.ogg", "tone.flac", "tone.m4a", "cover-art.m4a"])
def test_other_audio_becomes_mp3(processed: Processed, upload: str) -> None:
    manifest = processed.manifest(upload)
    assert (manifest.kind, manifest.status) == ("audio", Status.COMPLETE), manifest.error
    stem = upload.rsplit(".", 1)[0]
    assert [o.key for o in progressive(manifest)] == [f"audiovideo/{stem}.mp3"]
    (audio,) = tracks(processed.path(f"audiovideo/{stem}.mp3"), "Audio")
    assert (audio.format, audio.format_profile) == ("MPEG Audio", "Layer 3")
    assert manifest.thumbnail is None


@pytest.mark.parametrize("upload", ["corrupt.mp4", "page.mp4", "truncated.mp4", "broken.srt"])
def test_bad_input_fails_clearly_and_keeps_the_upload(processed: Processed, upload: str) -> None:
    manifest = processed.manifest(upload)
    assert manifest.status is Status.FAILED
    assert manifest.error is not None and manifest.error.category == "bad_input"
    reason = manifest.error.reason
    assert reason.endswith(".") and "\n" not in reason and "Traceback" not in reason
    assert (processed.watch / "inputs" / upload).exists(), "the upload is kept for inspection and retry"
    assert not any(processed.public.glob(f"audiovideo/{upload.rsplit('.', 1)[0]}*"))


def test_multilanguage_captions_give_one_file_per_language(processed: Processed) -> None:
    manifest = processed.manifest("bilingual.dfxp")
    assert (manifest.kind, manifest.status) == ("caption", Status.COMPLETE)
    keys = sorted(c.key or "" for c in manifest.captions)
    assert len(keys) == 2 and all(k.startswith("closed-caption/bilingual.") for k in keys)
    for caption in manifest.captions:
        assert caption.language and len(webvtt.read(str(processed.path(caption.key or "")))) == caption.cues


def test_sami_is_recognised_by_content(processed: Processed) -> None:
    manifest = processed.manifest("subs.smi")
    assert manifest.status is Status.COMPLETE and manifest.captions


def test_keyframes_at_least_every_two_seconds(tmp_path: Path, ffmpeg_exe: str) -> None:
    source = tmp_path / "five.mp4"
    FfmpegRunner(ffmpeg_exe).run(["-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=5",
                                  "-c:v", "libx264", "-preset", "ultrafast", "-g", "250", str(source)])
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", rungs=(360,)))
    manifest = runtime.process_key(runtime.submit_file(str(source)))
    assert manifest is not None and manifest.status is Status.COMPLETE
    output = Path(runtime.public.url) / progressive(manifest)[0].key
    keyframes = _keyframe_times(ffmpeg_exe, output)
    assert keyframes[0] == pytest.approx(0.0, abs=0.05)
    gaps = [b - a for a, b in zip(keyframes, [*keyframes[1:], 5.0], strict=True)]
    assert max(gaps) <= 2.0 + 1e-3, keyframes


def _keyframe_times(ffmpeg_exe: str, path: Path) -> list[float]:
    import re
    import subprocess

    proc = subprocess.run([ffmpeg_exe, "-hide_banner", "-skip_frame", "nokey", "-i", str(path), "-vf", "showinfo",
                           "-f", "null", "-"], capture_output=True, text=True, check=True)
    return [float(t) for t in re.findall(r"pts_time:([0-9.]+)", proc.stderr)]


def test_thumbnail_time_falls_back_to_mid_clip(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, thumbnail_seconds=7))
    manifest = runtime.process_key(runtime.submit_file(str(media.tiny)))
    assert manifest is not None and manifest.thumbnail
    assert (Path(runtime.public.url) / manifest.thumbnail).stat().st_size > 0


def test_caption_files_are_not_held_to_media_limits(tmp_path: Path) -> None:
    """MediaInfo may misread TTML tick times as a huge duration; captions have their own bounds."""
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    manifest = runtime.process_key(runtime.submit_file(str(CAPTIONS / "frames_and_ticks.ttml")))
    assert manifest is not None and manifest.status is Status.COMPLETE, manifest
    (entry,) = manifest.captions
    cues = webvtt.read(str(Path(runtime.public.url) / (entry.key or "")))
    assert [c.text for c in cues] == ["Frames time", "Seconds\ntwo lines", "Ticks"]
    assert cues[0].end == "00:00:02.480"
