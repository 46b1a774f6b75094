"""POST /upload speaking plupload's chunk protocol, against the real HTTP server and local stores."""

from __future__ import annotations

import random

import pytest

from webclient import ApiServer, multipart

DATA = random.Random(7).randbytes(150_000)
PARTS = [DATA[:60_000], DATA[60_000:120_000], DATA[120_000:]]


def watch_keys(api: ApiServer) -> list[str]:
    return [info.key for info in api.runtime.watch.list("inputs/")]


def test_chunks_out_of_order_are_assembled_and_removed(api: ApiServer) -> None:
    replies = [api.post_chunk("clip.mp4", PARTS[i], i, 3, total=len(DATA)) for i in (2, 0, 1)]
    assert [r.status for r in replies] == [200, 200, 200]
    assert [r.json()["complete"] for r in replies] == [False, False, True]
    assert replies[-1].json()["key"] == "inputs/clip.mp4"
    assert api.runtime.watch.read_bytes("inputs/clip.mp4") == DATA
    assert watch_keys(api) == ["inputs/clip.mp4"]  # no parts, no upload record left


def test_duplicate_chunks_are_tolerated(api: ApiServer) -> None:
    for i in (0, 0, 1, 1, 2):
        assert api.post_chunk("dup.mp4", PARTS[i], i, 3, total=len(DATA)).status == 200
    assert api.runtime.watch.read_bytes("inputs/dup.mp4") == DATA
    assert api.app.uploads.received[("dup.mp4", 0)] == 2


def test_a_missing_chunk_never_assembles_and_is_swept_when_abandoned(api: ApiServer) -> None:
    api.post_chunk("gap.mp4", PARTS[0], 0, 3, total=len(DATA))
    api.post_chunk("gap.mp4", PARTS[2], 2, 3, total=len(DATA))
    status = api.request("GET", "/upload/status?name=gap.mp4").json()
    assert status["stored"] == [0, 2] and status["chunks"] == 3 and status["exists"] is False
    assert not api.runtime.watch.exists("inputs/gap.mp4")
    uploads = api.app.uploads
    uploads.clock = lambda: 10**10  # far in the future: everything is abandoned
    assert uploads.sweep() == ["gap.mp4"]
    assert watch_keys(api) == []


def test_single_request_upload_without_chunk_fields(api: ApiServer) -> None:
    reply = api.post_chunk("whole.mp3", DATA)
    assert reply.json()["complete"] is True
    assert api.runtime.watch.read_bytes("inputs/whole.mp3") == DATA


def test_chunk_count_changing_mid_upload_discards_it(api: ApiServer) -> None:
    api.post_chunk("count.mp4", PARTS[0], 0, 3)
    reply = api.post_chunk("count.mp4", PARTS[1], 1, 4)
    assert reply.status == 409 and "chunk count" in reply.json()["error"]["message"]
    assert watch_keys(api) == []


def test_size_mismatch_is_reported_and_nothing_is_assembled(api: ApiServer) -> None:
    for i in range(3):
        reply = api.post_chunk("short.mp4", PARTS[i], i, 3, total=len(DATA) + 5)
    assert reply.status == 409 and "add up to" in reply.json()["error"]["message"]
    assert watch_keys(api) == []


def test_chunk_index_out_of_range_is_rejected(api: ApiServer) -> None:
    assert api.post_chunk("range.mp4", PARTS[0], 3, 3).status == 400
    assert watch_keys(api) == []


def test_size_limit_by_content_length_announced_total_and_running_total(api: ApiServer) -> None:
    limit = 1024 * 1024
    body, content_type = multipart({"name": "big.mp4"}, b"x")
    huge = api.request("POST", "/upload", body, {"Content-Type": content_type,
                                                 "Content-Length": str(limit * 3)})
    assert huge.status == 413
    assert api.post_chunk("big.mp4", b"x", 0, 9, total=limit + 1).status == 413
    part = b"y" * (limit // 2 + 10)
    assert api.post_chunk("big.mp4", part, 0, 3).status == 200
    over = api.post_chunk("big.mp4", part, 1, 3)
    assert over.status == 413
    assert watch_keys(api) == []  # the parts already stored went too


def test_unaccepted_kind_is_refused(api: ApiServer) -> None:
    reply = api.post_chunk("tool.exe", b"MZ")
    assert reply.status == 415
    assert watch_keys(api) == []


@pytest.mark.parametrize(("raw", "stored"), [
    ("../../etc/passwd.mp4", "inputs/etc/passwd.mp4"),
    ("..\\..\\windows\\x.mp4", "inputs/windows/x.mp4"),
    (".hidden.mp4", "inputs/hidden.mp4"),
    ("/abs/path.mp4", "inputs/abs/path.mp4"),
    ("Cafe\u0301 déjà vu.mp4", "inputs/Café déjà vu.mp4"),
    ("evil\u202egpj.mp4", "inputs/evilgpj.mp4"),
    ("tab\tand\x00nul.mp4", "inputs/tab andnul.mp4"),
    ('what?<is>"this".mp4', "inputs/what__is__this_.mp4"),
])
def test_hostile_names_are_made_safe(api: ApiServer, raw: str, stored: str) -> None:
    reply = api.post_chunk(raw, b"data")
    assert reply.status == 200, reply.body
    assert reply.json()["key"] == stored
    assert api.runtime.watch.exists(stored)


def test_names_without_anything_left_are_refused(api: ApiServer) -> None:
    assert api.post_chunk("../..", b"x").status == 400
    assert api.post_chunk("\x00\x01", b"x").status == 400


def test_token_is_required_when_set(api_with_token: ApiServer) -> None:
    api = api_with_token
    assert api.post_chunk("a.mp4", b"x").status == 401
    assert api.post_chunk("a.mp4", b"x", token="wrong").status == 401
    assert api.request("GET", "/upload/status?name=a.mp4").status == 401
    assert api.request("POST", "/api/assets/a/retry").status == 401
    assert watch_keys(api) == []
    assert api.post_chunk("a.mp4", b"x", token="s3cret-token").status == 200
    bearer = api.request("GET", "/upload/status?name=a.mp4", headers={"Authorization": "Bearer s3cret-token"})
    assert bearer.status == 200 and bearer.json()["exists"] is True
    assert api.request("GET", "/api/config").json()["token_required"] is True


def test_cancel_removes_stored_chunks(api: ApiServer) -> None:
    api.post_chunk("cancel.mp4", PARTS[0], 0, 3)
    assert api.request("DELETE", "/upload?name=cancel.mp4").json() == {"removed": 1}
    assert watch_keys(api) == []


def test_malformed_bodies_are_rejected(api: ApiServer) -> None:
    assert api.request("POST", "/upload", b"name=x", {"Content-Type": "application/x-www-form-urlencoded"}
                       ).status == 400
    body, content_type = multipart({"name": "cut.mp4"}, DATA)
    reply = api.request("POST", "/upload", body[:-40], {"Content-Type": content_type})
    assert reply.status == 400
    assert watch_keys(api) == []


def test_a_hostile_abandoned_part_does_not_stop_the_sweep(api: ApiServer) -> None:
    """A part dropped into inputs/ by hand under a name the store refuses is skipped, not fatal."""
    api.post_chunk("left.mp4", PARTS[0], 0, 3, total=len(DATA))
    inputs = api.runtime.watch.root / "inputs"
    (inputs / "bad\\name.mp4.CHUNK0").write_bytes(b"x")
    (inputs / "ctl\x01name.mp4.CHUNK0").write_bytes(b"x")
    uploads = api.app.uploads
    uploads.clock = lambda: 10**10
    assert "left.mp4" in uploads.sweep()
    assert not any(key.startswith("inputs/left.mp4") for key in watch_keys(api))
