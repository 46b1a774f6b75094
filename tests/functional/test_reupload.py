"""A re-upload of the same name replaces the asset's outputs only once the new ones succeed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avpipe.config import Settings
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

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
