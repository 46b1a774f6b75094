"""Direct-to-S3 uploads against moto's S3 server over HTTP: the app signs, a real HTTP client
sends the parts straight to the watch bucket, the app completes or aborts."""

from __future__ import annotations

import http.client
import json
import random
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from avpipe.config import Settings
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.web.server import build_app, serve_in_thread
from avpipe.web.settings import WebSettings

from moto_server import client, new_bucket
from webclient import ApiServer

DATA = random.Random(9).randbytes(11 * 1024 * 1024)  # two parts of 8 MiB and 3 MiB


@pytest.fixture
def s3_api(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(data_dir=tmp_path / "data", watch_url=f"s3://{new_bucket(moto_endpoint)}",
                        public_url=f"s3://{new_bucket(moto_endpoint)}", workers=1)
    runtime = LocalRuntime.from_settings(settings)
    app, worker = build_app(runtime, WebSettings(token="s3cret-token", max_upload_bytes=64 * 1024 * 1024))
    server, thread, (host, port) = serve_in_thread(app)
    try:
        yield ApiServer(f"http://{host}:{port}", app, worker, runtime)
    finally:
        server.should_exit = True
        thread.join(10)


def call(api: ApiServer, path: str, body: object, token: str | None = "s3cret-token") -> tuple[int, object]:
    headers = {"Content-Type": "application/json", **({"X-Avpipe-Token": token} if token else {})}
    reply = api.request("POST", path, json.dumps(body).encode(), headers)
    return reply.status, reply.json()


def put_part(url: str, data: bytes) -> str:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("PUT", f"{parts.path}?{parts.query}", body=data)
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        return str(response.getheader("ETag"))
    finally:
        conn.close()


def test_the_browser_path_to_s3_signs_sends_and_completes(s3_api: ApiServer, moto_endpoint: str) -> None:
    api = s3_api
    assert api.request("GET", "/api/config").json()["direct"] is True
    status, started = call(api, "/api/direct", {"name": "../talk.mp4", "size": len(DATA)})
    assert status == 201 and isinstance(started, dict)
    assert started["key"] == "inputs/talk.mp4" and len(started["urls"]) == 2
    size = started["part_size"]
    etags = [put_part(url, DATA[i * size:(i + 1) * size]) for i, url in enumerate(started["urls"])]
    assert not api.runtime.watch.exists("inputs/talk.mp4")  # nothing in inputs/ until it is completed
    parts = [{"part": i + 1, "etag": e} for i, e in enumerate(etags)]
    status, done = call(api, "/api/direct/complete", {"name": "../talk.mp4", "upload_id": started["upload_id"],
                                                      "parts": parts})
    assert status == 200 and done == {"key": "inputs/talk.mp4", "complete": True}
    assert api.runtime.watch.read_bytes("inputs/talk.mp4") == DATA


def test_direct_uploads_are_refused_or_aborted(s3_api: ApiServer, moto_endpoint: str) -> None:
    api = s3_api
    assert call(api, "/api/direct", {"name": "a.mp4", "size": 10}, token=None)[0] == 401
    assert call(api, "/api/direct", {"name": "a.exe", "size": 10})[0] == 415
    assert call(api, "/api/direct", {"name": "a.mp4", "size": 10**12})[0] == 413
    status, started = call(api, "/api/direct", {"name": "gone.mp4", "size": 100})
    assert status == 201 and isinstance(started, dict)
    assert call(api, "/api/direct/abort", {"name": "gone.mp4", "upload_id": started["upload_id"]})[0] == 200
    bucket = api.runtime.watch.bucket  # type: ignore[attr-defined]
    assert client(moto_endpoint, "s3").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_the_template_lets_the_web_app_origin_put_parts_and_read_etags() -> None:
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse((Path(__file__).parents[2] / "template.yaml").read_text())
    cors = template["Resources"]["WatchBucket"]["Properties"]["CorsConfiguration"]
    condition, rules, otherwise = cors["Fn::If"]
    assert condition == "HasWebAppOrigin" and otherwise == {"Ref": "AWS::NoValue"}
    rule = rules["CorsRules"][0]
    assert rule["AllowedMethods"] == ["PUT"] and rule["ExposedHeaders"] == ["ETag"]
    assert rule["AllowedOrigins"] == [{"Ref": "WebAppOrigin"}]  # the one origin, never "*"
