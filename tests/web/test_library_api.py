"""Public files with Range support, the asset API, retries and the pages' static files."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from avpipe.manifest.model import ErrorInfo, Manifest, OutputEntry, Status, iso
from avpipe.manifest.repository import save_manifest

from webclient import ApiServer

BODY = bytes(range(256)) * 40  # 10240 bytes


def manifest(name: str, status: Status, **changes: object) -> Manifest:
    stamp = iso(datetime.now(UTC))
    base = Manifest(name=name, kind="video", status=Status.PROCESSING, created_at=stamp, updated_at=stamp,
                    source=f"inputs/{name}.mp4", original=f"original/{name}.mp4")
    return base.moved_to(status, datetime.now(UTC), "test", **changes)


@pytest.fixture
def with_file(api: ApiServer) -> ApiServer:
    api.runtime.public.put("audiovideo/talk_360p.mp4", BODY)
    return api


def test_whole_file_says_it_accepts_ranges(with_file: ApiServer) -> None:
    reply = with_file.request("GET", "/files/audiovideo/talk_360p.mp4")
    assert reply.status == 200 and reply.body == BODY
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-99", 0, 99),
    ("bytes=10000-", 10000, 10239),
    ("bytes=-240", 10000, 10239),
    ("bytes=5000-999999", 5000, 10239),
])
def test_range_requests_get_206_with_the_exact_bytes(with_file: ApiServer, header: str, start: int, end: int) -> None:
    reply = with_file.request("GET", "/files/audiovideo/talk_360p.mp4", headers={"Range": header})
    assert reply.status == 206
    assert reply.headers["content-range"] == f"bytes {start}-{end}/{len(BODY)}"
    assert reply.body == BODY[start:end + 1]
    assert int(reply.headers["content-length"]) == end - start + 1


def test_unsatisfiable_range_gets_416(with_file: ApiServer) -> None:
    reply = with_file.request("GET", "/files/audiovideo/talk_360p.mp4", headers={"Range": "bytes=20000-"})
    assert reply.status == 416 and reply.headers["content-range"] == f"bytes */{len(BODY)}"


def test_head_has_length_but_no_body(with_file: ApiServer) -> None:
    reply = with_file.request("HEAD", "/files/audiovideo/talk_360p.mp4")
    assert reply.status == 200 and reply.body == b"" and reply.headers["content-length"] == str(len(BODY))


@pytest.mark.parametrize(("key", "content_type"), [
    ("audiovideo/a.mp3", "audio/mpeg"),
    ("closed-caption/a.vtt", "text/vtt; charset=utf-8"),
    ("thumbnail/a.jpg", "image/jpeg"),
    ("json/a.json", "application/json; charset=utf-8"),
])
def test_content_types(api: ApiServer, key: str, content_type: str) -> None:
    api.runtime.public.put(key, b"{}")
    assert api.request("GET", "/files/" + key).headers["content-type"] == content_type


@pytest.mark.parametrize("path", ["/files/../watch/inputs/x.mp4", "/files/%2e%2e/secret", "/files/other/x.mp4",
                                  "/files/audiovideo/missing.mp4", "/static/../app.py"])
def test_nothing_outside_the_public_folders_is_served(api: ApiServer, path: str) -> None:
    api.runtime.watch.put("inputs/x.mp4", b"private")
    reply = api.request("GET", path)
    assert reply.status in (400, 404)
    assert b"private" not in reply.body


def test_assets_list_manifests_and_queued_uploads(api: ApiServer) -> None:
    done = manifest("course/intro", Status.COMPLETE, outputs=(OutputEntry("audiovideo/course/intro_360p.mp4",
                                                                          "rendition", 360, 640, 360),),
                    thumbnail="thumbnail/course/intro.jpg")
    save_manifest(api.runtime.public, done)
    api.runtime.watch.put("inputs/new.mp4", b"waiting")
    assets = {a["name"]: a for a in api.request("GET", "/api/assets").json()}
    assert assets["new"]["state"] == "queued"
    intro = assets["course/intro"]
    assert intro["state"] == "complete" and intro["progress"] == 100
    assert intro["links"]["outputs"][0]["url"] == "/files/audiovideo/course/intro_360p.mp4"
    assert intro["links"]["outputs"][0]["label"] == "360p"
    one = api.request("GET", "/api/assets/course/intro").json()
    assert one["links"]["thumbnail"] == "/files/thumbnail/course/intro.jpg"
    assert api.request("GET", "/api/assets/nope").status == 404


def test_processing_shows_live_progress(api: ApiServer) -> None:
    save_manifest(api.runtime.public, manifest("busy", Status.PROCESSING, media={"duration_s": 4.0}))
    board = api.app.library.progress
    assert board.duration_s({"asset": "busy"}) == 4.0
    board.update({"asset": "busy"}, 0.426)
    assert api.request("GET", "/api/assets/busy").json()["progress"] == 43


def test_retry_requeues_the_kept_upload(api: ApiServer) -> None:
    watch = api.runtime.watch
    watch.put("inputs/bad.mp4", b"broken")
    old = datetime.now(UTC) - timedelta(minutes=5)
    os.utime(watch.path("inputs/bad.mp4"), (old.timestamp(), old.timestamp()))  # type: ignore[attr-defined]
    failed = manifest("bad", Status.FAILED, error=ErrorInfo("bad_input", "Broken.", "analysis"))
    save_manifest(api.runtime.public, failed)
    before = api.request("GET", "/api/assets/bad").json()
    assert before["state"] == "failed" and before["error"]["reason"] == "Broken."
    reply = api.request("POST", "/api/assets/bad/retry")
    assert reply.status == 202 and reply.json()["queued"] == "inputs/bad.mp4"
    assert api.request("GET", "/api/assets/bad").json()["state"] == "queued"
    assert watch.read_bytes("inputs/bad.mp4") == b"broken"


def test_retry_restores_the_upload_from_original(api: ApiServer) -> None:
    api.runtime.public.put("original/gone.mp4", b"kept original")
    failed = manifest("gone", Status.FAILED, error=ErrorInfo("transient", "Killed.", "transcode"))
    save_manifest(api.runtime.public, failed)
    assert api.request("POST", "/api/assets/gone/retry").status == 202
    assert api.runtime.watch.read_bytes("inputs/gone.mp4") == b"kept original"


def test_only_failed_assets_can_be_retried(api: ApiServer) -> None:
    save_manifest(api.runtime.public, manifest("fine", Status.COMPLETE))
    assert api.request("POST", "/api/assets/fine/retry").status == 409
    assert api.request("POST", "/api/assets/unknown/retry").status == 404


@pytest.mark.parametrize(("path", "kind"), [("/", "text/html"), ("/library", "text/html"),
                                            ("/asset/a/b", "text/html"), ("/static/uploader.js", "text/javascript"),
                                            ("/static/style.css", "text/css")])
def test_pages_and_static_files(api: ApiServer, path: str, kind: str) -> None:
    reply = api.request("GET", path)
    assert reply.status == 200 and reply.headers["content-type"].startswith(kind)
    if kind == "text/html":
        assert "script-src 'self'" in reply.headers["content-security-policy"]


def test_config_and_method_errors(api: ApiServer) -> None:
    config = api.request("GET", "/api/config").json()
    assert config["chunk_size"] == 64 * 1024 and ".mp4" in config["accepted"]
    assert api.request("PUT", "/upload").status in (405, 501)
    assert api.request("GET", "/nowhere").status == 404
    assert json.loads(api.request("GET", "/nowhere").body)["error"]["status"] == 404


def test_delete_removes_every_file_of_an_asset(api: ApiServer) -> None:
    from avpipe.manifest.model import CaptionEntry
    from avpipe.pipeline.claims import claim_key

    public, watch = api.runtime.public, api.runtime.watch
    keys = ["audiovideo/talk_360p.mp4", "thumbnail/talk.jpg", "closed-caption/talk.vtt", "original/talk.mp4"]
    for key in keys:
        public.put(key, b"x")
    watch.put("inputs/talk.mp4", b"kept upload")
    watch.put(claim_key("inputs/talk.mp4", "v1"), b"{}")
    done = manifest("talk", Status.COMPLETE, outputs=(OutputEntry(keys[0], "rendition", 360, 640, 360),),
                    thumbnail=keys[1], captions=(CaptionEntry("inputs/talk.srt", "complete", keys[2], "en"),),
                    original=keys[3], source="inputs/talk.mp4", source_version="v1")
    save_manifest(public, done)
    public.put("audiovideo/other_360p.mp4", b"another asset")
    assert api.request("DELETE", "/api/assets/talk", headers={"Origin": "http://attacker.example"}).status == 403
    reply = api.request("DELETE", "/api/assets/talk")
    assert reply.status == 200 and "json/talk.json" in reply.json()["removed"]
    assert [k for k in keys if public.exists(k)] == []
    assert not watch.exists("inputs/talk.mp4") and not watch.exists(claim_key("inputs/talk.mp4", "v1"))
    assert api.request("GET", "/api/assets/talk").status == 404
    assert public.exists("audiovideo/other_360p.mp4")
    assert api.request("DELETE", "/api/assets/talk").status == 404
    save_manifest(public, manifest("busy", Status.PROCESSING))
    assert api.request("DELETE", "/api/assets/busy").status == 409


def test_title_description_and_tags_are_edited_into_the_manifest(api: ApiServer) -> None:
    from avpipe.manifest.repository import load_manifest

    save_manifest(api.runtime.public, manifest("lecture", Status.COMPLETE))
    body = json.dumps({"title": " Week 1: Intro\u202e ", "description": "First lecture.",
                       "tags": ["intro", "week-1", "intro"]}).encode()
    reply = api.request("PATCH", "/api/assets/lecture", body, {"Content-Type": "application/json"})
    assert reply.status == 200 and reply.json()["title"] == "Week 1: Intro"
    stored = load_manifest(api.runtime.public, "lecture")
    assert stored is not None and stored.title == "Week 1: Intro" and stored.tags == ("intro", "week-1")
    assert api.request("GET", "/api/assets").json()[0]["description"] == "First lecture."
    cleared = api.request("PATCH", "/api/assets/lecture", b'{"title": null}', {"Content-Type": "application/json"})
    assert cleared.json()["title"] is None and cleared.json()["tags"] == ["intro", "week-1"]
    for bad in (b"[]", b'{"owner": "x"}', b'{"title": 5}', b'{"tags": [""]}', b"not json",
                json.dumps({"title": "x" * 201}).encode()):
        assert api.request("PATCH", "/api/assets/lecture", bad, {"Content-Type": "application/json"}).status == 400
    assert api.request("PATCH", "/api/assets/none", b'{"title": "x"}').status == 404
    save_manifest(api.runtime.public, manifest("busy", Status.PROCESSING))
    assert api.request("PATCH", "/api/assets/busy", b'{"title": "x"}').status == 409
