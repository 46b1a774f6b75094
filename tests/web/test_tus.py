"""tus 1.0 (core, creation, termination) with tuspy, a real client, including an interrupted transfer."""

from __future__ import annotations

import contextlib
import random
import socket
import time
from pathlib import Path

import pytest

from webclient import ApiServer

tusclient = pytest.importorskip("tusclient.client")

DATA = random.Random(5).randbytes(200_000)
TUS = {"Tus-Resumable": "1.0.0"}


def test_tuspy_uploads_and_resumes_after_an_interrupted_transfer(api: ApiServer, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        upload_and_resume(api, tmp_path, stack)


def upload_and_resume(api: ApiServer, tmp_path: Path, stack: contextlib.ExitStack) -> None:
    source = tmp_path / "talk.mp3"
    source.write_bytes(DATA)
    client = tusclient.TusClient(api.url + "/tus/")
    stream = stack.enter_context(source.open("rb"))  # tuspy leaves files it opened itself unclosed
    first = client.uploader(file_stream=stream, chunk_size=40_000, metadata={"filename": "talk.mp3"})
    first.upload(stop_at=80_000)
    assert first.offset == 80_000 and first.url and first.url.startswith(api.url + "/tus/")
    assert not api.runtime.watch.exists("inputs/talk.mp3")

    # the connection drops in the middle of the next PATCH: what arrived is kept
    path = first.url.removeprefix(api.url)
    head = (f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 80000\r\n"
            "Content-Type: application/offset+octet-stream\r\nContent-Length: 40000\r\n\r\n").encode()
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(head + DATA[80_000:95_000])
        time.sleep(0.3)  # the bytes were on their way for a while before the network dropped
    offset = 0
    for _ in range(50):  # the server notices the disconnect and stores the stretch
        offset = int(api.request("HEAD", path, headers=TUS).headers["upload-offset"])
        if offset == 95_000:
            break
        time.sleep(0.05)
    assert offset == 95_000

    resumed = client.uploader(file_stream=stack.enter_context(source.open("rb")), url=first.url, chunk_size=40_000)
    assert resumed.offset == 95_000  # asked the server with HEAD
    resumed.upload()
    assert api.runtime.watch.read_bytes("inputs/talk.mp3") == DATA
    assert api.request("HEAD", path, headers=TUS).status == 404
    assert [i.key for i in api.runtime.watch.list(".avpipe-tus/")] == []


def test_tus_discovery_termination_and_refusals(api: ApiServer) -> None:
    options = api.request("OPTIONS", "/tus/")
    assert options.status == 204 and options.headers["tus-version"] == "1.0.0"
    assert "termination" in options.headers["tus-extension"]
    created = api.request("POST", "/tus/", headers={**TUS, "Upload-Length": "10",
                                                    "Upload-Metadata": "filename Y2xpcC5tcDQ="})
    assert created.status == 201
    location = created.headers["location"]
    bad_offset = api.request("PATCH", location, b"abc", {**TUS, "Upload-Offset": "5",
                                                         "Content-Type": "application/offset+octet-stream"})
    assert bad_offset.status == 409
    too_much = api.request("PATCH", location, b"x" * 11, {**TUS, "Upload-Offset": "0",
                                                          "Content-Type": "application/offset+octet-stream"})
    assert too_much.status == 413
    assert api.request("HEAD", location, headers={"Tus-Resumable": "0.2.2"}).status == 412
    assert api.request("DELETE", location, headers=TUS).status == 204
    assert api.request("HEAD", location, headers=TUS).status == 404
    exe = api.request("POST", "/tus/", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": "filename YS5leGU="})
    assert exe.status == 415
    huge = api.request("POST", "/tus/", headers={**TUS, "Upload-Length": str(10**9),
                                                 "Upload-Metadata": "filename YS5tcDQ="})
    assert huge.status == 413
    digits = api.request("POST", "/tus/", headers={**TUS, "Upload-Length": "\u00b2",
                                                   "Upload-Metadata": "filename YS5tcDQ="})
    assert digits.status == 400
