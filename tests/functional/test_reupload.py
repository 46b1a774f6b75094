"""A re-upload of the same name replaces the asset's outputs only once the new ones succeed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from avpipe.config import Settings
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.storage import LocalStore

from media import MediaLibrary


def progressive(manifest: Any) -> list[Any]:
    """The manifest's MP4/MP3 files (a video's HLS/DASH stream files are listed beside them)."""
    return [o for o in manifest.outputs if o.key.endswith((".mp4", ".mp3"))]


def published(runtime: LocalRuntime) -> list[str]:
    return [info.key for info in runtime.public.list("audiovideo/")]


def test_reupload_replaces_outputs_and_removes_renditions_the_new_source_lacks(
    tmp_path: Path, media: MediaLibrary
) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, rungs=(360, 720, 1080)))
    first = runtime.process_key(runtime.submit_file(str(media.landscape_1080p), "talk.mp4"))
    assert first is not None and [o.rung for o in progressive(first)] == [360, 720, 1080]

    failed = runtime.process_key(runtime.submit_file(str(media.corrupt_mp4), "talk.mp4"))
    assert failed is not None and failed.status is Status.FAILED
    assert [o.key for o in progressive(failed)] == [o.key for o in progressive(first)], "old outputs still listed"
    assert published(runtime) == sorted(o.key for o in first.outputs), "and still served"

    second = runtime.process_key(runtime.submit_file(str(media.landscape_720p), "talk.mp4"))
    assert second is not None and second.status is Status.COMPLETE
    assert [key for key in published(runtime) if key.endswith(".mp4")] == \
        ["audiovideo/talk_360p.mp4", "audiovideo/talk_720p.mp4"]
    assert not [key for key in published(runtime) if "_1080p" in key], "1080p's stream files are retired too"
    assert list(runtime.public.list("staging/")) == [], "nothing left in staging"


def test_an_mp3_replacing_a_video_retires_its_renditions_and_thumbnail(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, rungs=(360,)))
    first = runtime.process_key(runtime.submit_file(str(media.landscape_720p), "talk.mp4"))
    assert first is not None and first.thumbnail == "thumbnail/talk.jpg"
    second = runtime.process_key(runtime.submit_file(str(media.mp3), "talk.mp3"))
    assert second is not None and second.status is Status.COMPLETE and second.kind == "audio"
    assert published(runtime) == ["audiovideo/talk.mp3"]
    assert second.thumbnail is None and not runtime.public.exists("thumbnail/talk.jpg")


REUPLOAD_DURING_TRANSCODE = """#!{python}
import os, shutil, subprocess, sys, time
marker, target, newer = {marker!r}, {target!r}, {newer!r}
transcode = "-filter_complex" in sys.argv and "-skip_frame" not in sys.argv  # not the upscale check
if transcode and not os.path.exists(marker):
    open(marker, "w").close()
    job = subprocess.Popen([{ffmpeg!r}, *sys.argv[1:]])  # version 1 is being transcoded ...
    time.sleep(0.2)
    part = os.path.join(os.path.dirname(target), ".upload-in-progress")
    shutil.copy(newer, part)
    os.replace(part, target)  # ... when version 2 of the same name arrives
    sys.exit(job.wait())
os.execv({ffmpeg!r}, [{ffmpeg!r}, *sys.argv[1:]])
"""


def test_a_reupload_during_the_transcode_is_kept_and_processed_next(
    tmp_path: Path, media: MediaLibrary, ffmpeg_exe: str
) -> None:
    import stat
    import sys

    from avpipe.ffmpeg import FfmpegRunner

    base = LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data", rungs=(360,)))
    target = tmp_path / "data/watch/inputs/talk.mp4"
    script = tmp_path / "ffmpeg-reupload"
    script.write_text(REUPLOAD_DURING_TRANSCODE.format(python=sys.executable, marker=str(tmp_path / "done"),
                                                       target=str(target), newer=str(media.tiny), ffmpeg=ffmpeg_exe))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    runtime = LocalRuntime(base.settings, base.watch, base.public, FfmpegRunner(str(script)))
    key = runtime.submit_file(str(media.landscape_720p), "talk.mp4")
    newer = media.tiny.read_bytes()
    first = runtime.process_key(key)  # version 1's job fails as "changed"; its retry reads version 2
    if target.exists():  # (or version 2 waits for its own turn)
        assert target.read_bytes() == newer
        first = runtime.process_key(key)
    assert first is not None and first.status is Status.COMPLETE
    assert [key for key in published(runtime) if key.endswith(".mp4")] == ["audiovideo/talk_90p.mp4"], \
        "version 2 was processed, not lost or shadowed"
    assert runtime.public.read_bytes("original/talk.mp4") == newer and not target.exists()


class _ReuploadDuringPublish(LocalStore):
    """A public store on which, while ``when`` is written, version 2 of the upload arrives."""

    def __init__(self, root: Path, watch: LocalStore, when: str, upload: str, newer: bytes) -> None:
        super().__init__(root)
        self.watch, self.when, self.upload, self.newer = watch, when, upload, newer

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        super().put(key, source, content_type)
        if key == self.when and self.newer:
            self.watch.put(self.upload, self.newer)
            self.newer = b""


@pytest.mark.parametrize("kind", ["mp3 copy", "captions"])
def test_a_reupload_during_the_mp3_copy_or_caption_conversion_is_kept(
    tmp_path: Path, media: MediaLibrary, kind: str
) -> None:
    base = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    name, output, first_file, newer = (
        ("song.mp3", "audiovideo/song.mp3", media.mp3, media.mp3_cover) if kind == "mp3 copy"
        else ("talk.srt", "closed-caption/talk.vtt", media.srt, media.srt.read_bytes().replace(b"0", b"1") + b"\n")
    )
    newer_bytes = newer if isinstance(newer, bytes) else newer.read_bytes()
    assert isinstance(base.watch, LocalStore)
    public = _ReuploadDuringPublish(tmp_path / "public", base.watch, output, "inputs/" + name, newer_bytes)
    runtime = LocalRuntime(base.settings, base.watch, public, base.runner)
    runtime.process_key(runtime.submit_file(str(first_file), name))
    assert runtime.watch.read_bytes("inputs/" + name) == newer_bytes, "version 2 is still in inputs/"
    again = runtime.process_key("inputs/" + name)
    assert again is not None and again.status is Status.COMPLETE
    assert not runtime.watch.exists("inputs/" + name), "version 2, processed, is removed"


def test_a_replaced_original_goes_with_its_replacement(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, rungs=(360,)))
    first = runtime.process_key(runtime.submit_file(str(media.tiny), "a.mp4"))
    assert first is not None and first.original == "original/a.mp4"
    second = runtime.process_key(runtime.submit_file(str(media.tiny), "a.mov"))
    assert second is not None and second.status is Status.COMPLETE and second.original == "original/a.mov"
    assert [info.key for info in runtime.public.list("original/")] == ["original/a.mov"]


def test_a_caption_files_original_stays_when_a_video_takes_its_name(tmp_path: Path, media: MediaLibrary) -> None:
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path, rungs=(360,)))
    runtime.process_key(runtime.submit_file(str(media.srt), "a.srt"))
    video = runtime.process_key(runtime.submit_file(str(media.tiny), "a.mp4"))
    assert video is not None and video.status is Status.COMPLETE
    assert [c.source for c in video.captions] == ["original/a.srt"]
    assert [info.key for info in runtime.public.list("original/")] == ["original/a.mp4", "original/a.srt"]


@pytest.mark.parametrize("recorded", ["second", "first"])
def test_an_earlier_versions_job_does_not_complete_the_newer_upload(tmp_path: Path, recorded: str) -> None:
    """MediaConvert: version 1's job reports COMPLETE after version 2 arrived: either version 2 was
    analysed already (its manifest names it), or not yet (the manifest still names version 1)."""
    from avpipe.manifest import Manifest, save_manifest
    from avpipe.pipeline.dispatch import dispatch
    from avpipe.pipeline.events import JobOutput, JobStateChange

    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path))
    runtime.watch.put("inputs/talk.mp4", b"version one")
    first = runtime.watch.stat("inputs/talk.mp4").etag or ""
    runtime.watch.put("inputs/talk.mp4", b"version two")
    second = runtime.watch.stat("inputs/talk.mp4").etag
    stamp = "2026-01-01T00:00:00.000Z"
    save_manifest(runtime.public, Manifest(name="talk", kind="video", status=Status.PROCESSING, created_at=stamp,
                                           updated_at=stamp, source="inputs/talk.mp4",
                                           source_version=second if recorded == "second" else first))
    runtime.public.put("staging/t1/talk_360p.mp4", b"made from version one")
    event = JobStateChange("job-1", "COMPLETE", {"application": "avpipe", "asset": "talk", "input": "inputs/talk.mp4",
                                                 "version": first},
                           (JobOutput(runtime.public.uri("staging/t1/talk_360p.mp4"), 640, 360),))
    outcome = dispatch(runtime.context(lambda _event: None), event)
    assert runtime.watch.read_bytes("inputs/talk.mp4") == b"version two", "version 2 is kept for its own job"
    assert published(runtime) == [], "version 1's outputs are not published as version 2's"
    if recorded == "second":
        assert outcome is None  # not this manifest's job
    else:  # the upload changed since version 1 was read: nothing of it is published, and it says why
        assert outcome is not None and outcome.status is Status.FAILED and outcome.error is not None
        assert outcome.error.reason == "The upload changed while it was processed; its new version is processed next."
        assert list(runtime.public.list("staging/")) == []


class _ChangesAfterRead(LocalStore):
    """A watch store whose upload is rewritten right after avpipe read it (a copy still going on)."""

    def __init__(self, root: Path, upload: str, newer: bytes) -> None:
        super().__init__(root)
        self.upload, self.newer = upload, newer

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        data = super().read_bytes(key, start, length)
        if key == self.upload and self.newer:
            newer, self.newer = self.newer, b""
            self.put(key, newer)
        return data


def test_captions_that_changed_after_they_were_read_are_not_published(tmp_path: Path, media: MediaLibrary) -> None:
    first = media.srt.read_bytes()
    newer = first.replace(b"0", b"1") + b"\n"
    base = LocalRuntime.from_settings(Settings(data_dir=tmp_path, transient_retries=0))
    watch = _ChangesAfterRead(tmp_path / "watch", "inputs/talk.srt", newer)
    runtime = LocalRuntime(base.settings, watch, base.public, base.runner)
    runtime.process_key(runtime.submit_file(str(media.srt), "talk.srt"))
    assert not runtime.public.exists("closed-caption/talk.vtt"), "the stale first version was published"
    assert not runtime.public.exists("original/talk.srt")
    assert runtime.watch.read_bytes("inputs/talk.srt") == newer, "the newer version is kept for its own run"
    again = runtime.process_key("inputs/talk.srt")
    assert again is not None and again.status is Status.COMPLETE
    assert runtime.public.read_bytes("original/talk.srt") == newer
