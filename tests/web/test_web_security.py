"""Attacks on the web app over real sockets (issue 10, web items; issue 14, safety and conditional requests).

Each test performs the attack against uvicorn on 127.0.0.1 and checks what got through.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from avpipe.web.settings import WebSettings

from webclient import CHUNK, ApiServer, multipart, serve_app

BODY = bytes(range(256)) * 40  # 10240 bytes
MakeApi = Callable[..., ApiServer]


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[MakeApi]:
    with contextlib.ExitStack() as stack:
        def make(**changes: Any) -> ApiServer:
            settings = WebSettings(**{"chunk_bytes": CHUNK, "max_upload_bytes": 1024 * 1024, **changes})
            folder = tmp_path / f"app{len(stack._exit_callbacks)}"  # noqa: SLF001 - one folder per app
            generator = serve_app(folder, settings)
            api = next(generator)
            stack.callback(lambda: next(generator, None))
            return api
        yield make


def raw(api: ApiServer, data: bytes, *, read_s: float = 3.0) -> bytes:
    """Send bytes on one connection; everything the server answers until it closes or goes quiet."""
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_s) as conn:
        conn.sendall(data)
        out = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := conn.recv(65536):
                out += chunk
        return out


# --- item 1: uploaded bytes are never served with an active type -------------------------------
def test_originals_are_not_served_unless_allowed(make_api: MakeApi) -> None:
    api = make_api()
    api.runtime.public.put("original/talk.mp4", b"private upload")
    reply = api.request("GET", "/files/original/talk.mp4")
    assert reply.status == 404 and b"private upload" not in reply.body


@pytest.mark.parametrize("key", ["original/evil.xml", "original/evil.html", "original/evil.svg",
                                 "closed-caption/evil.html", "audiovideo/evil.js", "json/evil.xml"])
def test_uploaded_bytes_go_out_as_inert_attachments(make_api: MakeApi, key: str) -> None:
    api = make_api(serve_originals=True)
    api.runtime.public.put(key, b"<html><script>alert(1)</script></html>")
    reply = api.request("GET", "/files/" + key)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.headers["content-disposition"].startswith("attachment")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_what_avpipe_wrote_keeps_its_type_and_is_sandboxed_too(make_api: MakeApi) -> None:
    api = make_api()
    api.runtime.public.put("audiovideo/talk_360p.mp4", BODY)
    reply = api.request("GET", "/files/audiovideo/talk_360p.mp4")
    assert reply.headers["content-type"] == "video/mp4" and "content-disposition" not in reply.headers
    assert reply.headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_private_mode_needs_the_token_for_reads(make_api: MakeApi) -> None:
    api = make_api(token="s3cret-token", private=True)
    api.runtime.public.put("audiovideo/a.mp4", BODY)
    for path in ("/api/assets", "/api/assets/a", "/files/audiovideo/a.mp4"):
        assert api.request("GET", path).status == 401, path
    good = {"X-Avpipe-Token": "s3cret-token"}
    assert api.request("GET", "/api/assets", headers=good).status == 200
    assert api.request("GET", "/files/audiovideo/a.mp4", headers=good).body == BODY
    assert api.request("GET", "/").status == 200  # the page itself loads, to ask for the token


# --- item 2: Host (DNS rebinding) and cross-site writes (CSRF) ---------------------------------
def test_a_foreign_host_is_refused(make_api: MakeApi) -> None:
    api = make_api()
    assert api.request("GET", "/api/assets", headers={"Host": "attacker.example"}).status == 421
    assert api.request("GET", "/api/assets", headers={"Host": "attacker.example:80"}).status == 421
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert api.request("GET", "/api/assets", headers={"Host": host}).status == 200, host
    configured = make_api(allowed_hosts=("media.example.org",))
    assert configured.request("GET", "/api/assets", headers={"Host": "media.example.org"}).status == 200
    # behind a reverse proxy that rewrites Host, the configured public origin may still write
    body, content_type = multipart({"name": "proxied.mp4"}, b"data")
    proxied = {"Content-Type": content_type, "Host": "127.0.0.1:8000", "Origin": "https://media.example.org"}
    assert configured.request("POST", "/upload", body, proxied).status == 200
    other = {**proxied, "Origin": "http://localhost:3000"}  # another local app is still another origin
    assert configured.request("POST", "/upload", body, other).status == 403


@pytest.mark.parametrize("token", [None, "s3cret-token"])
@pytest.mark.parametrize("headers", [{"Origin": "http://attacker.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}])
def test_cross_site_writes_are_refused_with_or_without_a_token(make_api: MakeApi, token: str | None,
                                                                headers: dict[str, str]) -> None:
    api = make_api(token=token)
    body, content_type = multipart({"name": "csrf.mp4"}, b"data")
    sent = {"Content-Type": content_type, **headers, **({"X-Avpipe-Token": token} if token else {})}
    assert api.request("POST", "/upload", body, sent).status == 403
    assert api.request("DELETE", "/upload?name=csrf.mp4", headers=sent).status == 403
    assert not api.runtime.watch.exists("inputs/csrf.mp4")
    same = {"Content-Type": content_type, "Origin": api.url, "Sec-Fetch-Site": "same-origin",
            **({"X-Avpipe-Token": token} if token else {})}
    assert api.request("POST", "/upload", body, same).status == 200


# --- conditional requests (issue 14) ------------------------------------------------------------
def test_conditional_requests(make_api: MakeApi) -> None:
    api = make_api()
    api.runtime.public.put("audiovideo/v_360p.mp4", BODY)
    first = api.request("GET", "/files/audiovideo/v_360p.mp4")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert api.request("GET", "/files/audiovideo/v_360p.mp4", headers={"If-None-Match": etag}).status == 304
    hit = api.request("GET", "/files/audiovideo/v_360p.mp4", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert hit.status == 206 and hit.body == BODY[:10]
    by_date = api.request("GET", "/files/audiovideo/v_360p.mp4", headers={"Range": "bytes=0-9", "If-Range": modified})
    assert by_date.status == 206
    time.sleep(0.01)
    api.runtime.public.put("audiovideo/v_360p.mp4", BODY[::-1])  # a re-uploaded rendition
    stale = api.request("GET", "/files/audiovideo/v_360p.mp4", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert stale.status == 200 and stale.body == BODY[::-1]  # the whole new file, never a spliced range
    assert api.request("GET", "/files/audiovideo/v_360p.mp4", headers={"If-None-Match": etag}).status == 200


# --- item 16: odd digits -------------------------------------------------------------------------
def test_non_ascii_digits_and_huge_ranges_get_400(make_api: MakeApi, caplog: pytest.LogCaptureFixture) -> None:
    api = make_api()
    api.runtime.public.put("audiovideo/v.mp4", BODY)
    caplog.set_level(logging.DEBUG)
    assert api.post_chunk("odd.mp4", b"x", chunk=None, chunks=None).status == 200
    body, content_type = multipart({"name": "digits.mp4", "chunk": "\u00b2", "chunks": "3"}, b"x")
    reply = api.request("POST", "/upload", body, {"Content-Type": content_type})
    assert reply.status == 400 and "whole number" in reply.json()["error"]["message"]
    huge = api.request("GET", "/files/audiovideo/v.mp4", headers={"Range": "bytes=" + "9" * 5000 + "-"})
    assert huge.status == 400
    assert not [r for r in caplog.records if r.exc_info]  # no traceback logged


# --- item 12: request smuggling --------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_a_body_is_never_read_as_a_second_request(make_api: MakeApi, method: str) -> None:
    api = make_api()
    assert api.post_chunk("victim.mp4", b"part0", 0, 2).status == 200
    hidden = b"DELETE /upload?name=victim.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    path = b"/upload?name=other.mp4" if method == "DELETE" else b"/api/config"
    request = (method.encode() + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Length: " + str(len(hidden)).encode() + b"\r\n\r\n" + hidden)
    answer = raw(api, request, read_s=1.0)
    assert answer.count(b"HTTP/1.1 ") <= 1
    assert api.runtime.watch.exists("inputs/victim.mp4.CHUNK0")  # the hidden DELETE did not run


# --- item 10: slow and idle clients ----------------------------------------------------------
def test_idle_connections_do_not_starve_a_normal_request(make_api: MakeApi) -> None:
    api = make_api()
    host, port = api.url.removeprefix("http://").split(":")
    idle = []
    try:
        for _ in range(250):
            idle.append(socket.create_connection((host, int(port)), timeout=5))
        idle[0].sendall(b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # a head that never ends
        started = time.monotonic()
        assert api.request("GET", "/api/config").status == 200
        assert time.monotonic() - started < 5
    finally:
        for conn in idle:
            conn.close()


def test_a_connection_cap_answers_503_instead_of_hanging(make_api: MakeApi) -> None:
    api = make_api(max_connections=20)
    host, port = api.url.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(25)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        assert api.request("GET", "/api/config").status == 503
        assert time.monotonic() - started < 5
    finally:
        for conn in idle:
            conn.close()


def test_silent_and_stalled_clients_are_dropped(make_api: MakeApi) -> None:
    api = make_api(header_timeout_s=0.5, body_timeout_s=0.5)
    started = time.monotonic()
    assert raw(api, b"", read_s=5) == b""  # connected, never sent a request: closed
    assert time.monotonic() - started < 3
    body, content_type = multipart({"name": "stall.mp4"}, b"x" * 1000)
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    started = time.monotonic()
    answer = raw(api, head + body[:200], read_s=5)  # the rest of the body never comes
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 3
    assert [p for p in Path(api.app.uploads.temp_folder or "/nonexistent").glob("avpipe-upload-*")] == []
    assert api.request("GET", "/api/config").status == 200


# --- item 14: two clients, one name ------------------------------------------------------------
def test_two_clients_uploading_one_name_are_never_spliced(make_api: MakeApi) -> None:
    api = make_api()
    a, b = b"A" * 1000, b"B" * 1000

    def send(upload_id: str, data: bytes, index: int) -> int:
        body, content_type = multipart({"name": "same.mp4", "chunk": str(index), "chunks": "2",
                                        "total": "2000", "upload_id": upload_id}, data)
        return api.request("POST", "/upload", body, {"Content-Type": content_type}).status

    assert send("client-a", a, 0) == 200
    conflict = send("client-b", b, 1)
    assert conflict == 409
    assert api.request("DELETE", "/upload?name=same.mp4&upload_id=client-b").status == 409  # nor cancelled
    assert send("client-a", a, 1) == 200
    assert api.runtime.watch.read_bytes("inputs/same.mp4") == a + a


# --- item 11: a full disk ----------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs; needs root), unmounted afterwards."""
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],  # noqa: S607
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root): " + mounted.stderr.decode(errors="replace"))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)  # noqa: S607


def test_a_chunk_on_a_full_disk_gets_507(tiny_disk: Path) -> None:
    generator = serve_app(tiny_disk, WebSettings(chunk_bytes=CHUNK, max_upload_bytes=8 * 1024 * 1024))
    api = next(generator)
    try:
        statuses = [api.post_chunk("big.mp4", b"z" * 400_000, i, 8, total=3_200_000).status for i in range(4)]
        assert statuses[0] == 200 and statuses[-1] == 507
        reply = api.post_chunk("big.mp4", b"z" * 400_000, 4, 8, total=3_200_000)
        assert reply.status == 507 and "storage is full" in reply.json()["error"]["message"]
        assert str(tiny_disk) not in reply.body.decode()
        assert list(Path(api.app.uploads.temp_folder or "/nonexistent").glob("avpipe-upload-*")) == []
        api.request("DELETE", "/upload?name=big.mp4")  # space comes back
        assert api.post_chunk("small.mp4", b"ok").status == 200
    finally:
        next(generator, None)


# --- item 8: a crash during assembly ------------------------------------------------------------
KILLED_DURING_ASSEMBLY = r"""
import os, signal, sys
from pathlib import Path
from avpipe.storage.local import LocalStore
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import ChunkedUploads, ChunkRequest

def die(store, parts, target):
    scratch = Path(store.scratch_dir()) / "avpipe-upload-half-written"
    scratch.write_bytes(b"half")  # as a killed request leaves its spooled body behind
    os.utime(scratch, (1, 1))
    os.kill(os.getpid(), signal.SIGKILL)

store = LocalStore(sys.argv[1])
uploads = ChunkedUploads(store, WebSettings(), assembler=die)
for index, data in enumerate((b"first-", b"second")):
    path = Path(sys.argv[1]) / f"body{index}"
    path.write_bytes(data)
    uploads.store_chunk(ChunkRequest("crash.mp4", index, 2, 12, "addr:x"), path, len(data))
"""


def test_kill_9_during_assembly_loses_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    watch = tmp_path / "data" / "watch"
    watch.mkdir(parents=True)
    child = subprocess.run([sys.executable, "-c", KILLED_DURING_ASSEMBLY, str(watch)], capture_output=True,
                           check=False, timeout=60)
    assert child.returncode == -9, child.stderr
    assert not (watch / "inputs/crash.mp4").exists()
    generator = serve_app(tmp_path, WebSettings())  # the restart
    api = next(generator)
    try:
        assert api.runtime.watch.read_bytes("inputs/crash.mp4") == b"first-second"
        assert [i.key for i in api.runtime.watch.list("inputs/")] == ["inputs/crash.mp4"]
        assert list(Path(api.app.uploads.temp_folder or "/nonexistent").glob("avpipe-upload-*")) == []
    finally:
        next(generator, None)


def test_status_assembles_a_complete_set_and_names_what_is_missing(make_api: MakeApi) -> None:
    api = make_api()
    api.post_chunk("gap.mp4", b"aaa", 0, 3, total=9)
    api.post_chunk("gap.mp4", b"ccc", 2, 3, total=9)
    assert api.request("GET", "/upload/status?name=gap.mp4").json()["missing"] == [1]
    api.runtime.watch.put("inputs/gap.mp4.CHUNK1", b"bbb")  # the part landed, the assembly did not run
    status = api.request("GET", "/upload/status?name=gap.mp4").json()
    assert status["exists"] is True and status["missing"] == []
    assert api.runtime.watch.read_bytes("inputs/gap.mp4") == b"aaabbbccc"


# --- issue 14: client disconnects are quiet ---------------------------------------------------
def test_clients_that_go_away_leave_no_traceback(make_api: MakeApi, caplog: pytest.LogCaptureFixture) -> None:
    api = make_api()
    api.runtime.public.put("audiovideo/big_360p.mp4", b"v" * (8 * 1024 * 1024))
    caplog.set_level(logging.DEBUG)
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:  # a player cancelling a download
        conn.sendall(b"GET /files/audiovideo/big_360p.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        conn.recv(1024)
    body, content_type = multipart({"name": "cut.mp4"}, b"x" * 200_000)
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=5) as conn:  # a tab closed mid-upload
        conn.sendall(head + body[:50_000])
        time.sleep(0.3)
    deadline = time.monotonic() + 15  # the server notices on its own schedule (slower on a loaded machine)
    while time.monotonic() < deadline and not _went_away(caplog):
        time.sleep(0.1)
    assert api.request("GET", "/api/config").status == 200
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert _went_away(caplog)
    assert not api.runtime.watch.exists("inputs/cut.mp4")


def test_one_client_cannot_hold_every_upload_slot(make_api: MakeApi) -> None:
    api = make_api(max_uploads_per_client=3)
    body, content_type = multipart({"name": "slow.mp4"}, b"x" * 100_000)
    head = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    host, port = api.url.removeprefix("http://").split(":")
    held = []
    try:
        for _ in range(3):  # three uploads that trickle
            conn = socket.create_connection((host, int(port)), timeout=5)
            conn.sendall(head + body[:1000])
            held.append(conn)
        time.sleep(0.3)
        reply = api.post_chunk("other.mp4", b"data")
        assert reply.status == 429 and "Too many uploads" in reply.json()["error"]["message"]
    finally:
        for conn in held:
            conn.close()
    time.sleep(0.3)
    assert api.post_chunk("other.mp4", b"data").status == 200  # the slots are free again


def test_oversized_request_heads_are_refused(make_api: MakeApi) -> None:
    api = make_api()
    answer = raw(api, b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 70_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


def _went_away(caplog: pytest.LogCaptureFixture) -> bool:
    return any("went away" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
