"""What the S3 store does beyond the common contract: server-side copies, ranged analysis,
presigned URLs, multipart transfers and the translation of botocore errors."""

from __future__ import annotations

import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto_server import client, new_bucket

from avpipe.analysis.mediainfo import probe
from avpipe.analysis.ranged import RangedHttpFile
from avpipe.errors import ConfigurationError, TransientError
from avpipe.pipeline.events import ObjectCreated
from avpipe.pipeline.notifying_store import NotifyingStore
from avpipe.storage import open_store
from avpipe.storage.s3 import S3Store, parse_s3_url

MIB = 1024 * 1024


def count_calls(s3: Any) -> Counter[str]:
    """Count the API operations a client sends, by name (a real botocore event hook)."""
    calls: Counter[str] = Counter()
    s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.update([model.name]))
    return calls


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return client(moto_endpoint, "s3")


@pytest.fixture
def pair(moto_endpoint: str, s3: Any) -> tuple[S3Store, S3Store]:
    return (S3Store(f"s3://{new_bucket(moto_endpoint)}", s3), S3Store(f"s3://{new_bucket(moto_endpoint)}", s3))


def test_copy_between_s3_stores_is_server_side(pair: tuple[S3Store, S3Store], s3: Any) -> None:
    watch, public = pair
    watch.put("inputs/song é.mp3", b"ID3" + bytes(5000))
    calls = count_calls(s3)
    watch.copy_to("inputs/song é.mp3", public, "audiovideo/song é.mp3")
    assert calls["CopyObject"] == 1
    assert calls["GetObject"] == 0 and calls["PutObject"] == 0
    assert public.read_bytes("audiovideo/song é.mp3") == b"ID3" + bytes(5000)


def test_large_copies_use_multipart_copy(moto_endpoint: str, s3: Any, tmp_path: Path) -> None:
    watch = S3Store(f"s3://{new_bucket(moto_endpoint)}", s3, copy_threshold=5 * MIB, multipart_threshold=5 * MIB)
    public = S3Store(f"s3://{new_bucket(moto_endpoint)}", s3)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (6 * MIB // 256))
    calls = count_calls(s3)
    watch.put("inputs/big.bin", big)
    assert calls["UploadPart"] == 2  # the upload itself went in parts
    watch.copy_to("inputs/big.bin", public, "original/big.bin")
    assert calls["UploadPartCopy"] == 2 and calls["CopyObject"] == 0
    assert public.stat("original/big.bin").size == big.stat().st_size
    assert public.read_bytes("original/big.bin", 6 * MIB - 10, 10) == big.read_bytes()[-10:]


def test_copy_into_a_notifying_store_still_copies_server_side_and_notifies(
    pair: tuple[S3Store, S3Store], s3: Any,
) -> None:
    watch, public = pair
    watch.put("inputs/a.mp3", b"ID3 data")
    events: list[object] = []
    calls = count_calls(s3)
    watch.copy_to("inputs/a.mp3", NotifyingStore(public, "public", events.append), "original/a.mp3")
    assert calls["CopyObject"] == 1
    assert events == [ObjectCreated("public", "original/a.mp3")]


def test_copy_to_a_local_store_downloads(pair: tuple[S3Store, S3Store], tmp_path: Path) -> None:
    from avpipe.storage import LocalStore

    watch, _ = pair
    watch.put("inputs/x.bin", b"12345")
    local = LocalStore(tmp_path / "local")
    watch.copy_to("inputs/x.bin", local, "x.bin")
    assert (tmp_path / "local" / "x.bin").read_bytes() == b"12345"


def test_readable_is_a_presigned_url_and_analysis_reads_only_ranges(
    pair: tuple[S3Store, S3Store], media: Any, tmp_path: Path,
) -> None:
    from pymediainfo import MediaInfo

    watch, _ = pair
    padded = tmp_path / "padded.mp4"  # the clip, then an 8 MiB MP4 'free' box MediaInfo can skip
    free = 8 * MIB
    padded.write_bytes(media.landscape_720p.read_bytes() + free.to_bytes(4, "big") + b"free" + bytes(free - 8))
    watch.put("inputs/talk one é.mp4", padded)
    with watch.readable("inputs/talk one é.mp4") as url:
        assert url.startswith("http://127.0.0.1:") and "Signature" in url
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-7"})) as response:
            assert response.status == 206 and response.read() == padded.read_bytes()[:8]
        remote = probe(url)
        with RangedHttpFile(url, block=64 * 1024) as reader:
            MediaInfo.parse(reader)
            assert reader.bytes_fetched < padded.stat().st_size / 4
    local = probe(str(padded))
    assert remote == local
    assert remote.video is not None and (remote.video.width, remote.video.height) == (1280, 720)


def test_ranged_file_fetches_blocks_not_the_whole_object(pair: tuple[S3Store, S3Store], tmp_path: Path) -> None:
    watch, _ = pair
    payload = bytes(range(256)) * 8192  # 2 MiB
    watch.put("big.bin", payload)
    with watch.readable("big.bin") as url, RangedHttpFile(url, block=64 * 1024) as remote:
        assert remote.size == len(payload)
        assert remote.read(10) == payload[:10]
        remote.seek(-100, 2)
        assert remote.read() == payload[-100:]
        remote.seek(1_000_000)
        assert remote.read(5) == payload[1_000_000:1_000_005]
        assert remote.bytes_fetched <= 3 * 64 * 1024 and remote.requests == 3


def test_missing_objects_and_buckets(moto_endpoint: str, s3: Any) -> None:
    store = S3Store(f"s3://{new_bucket(moto_endpoint)}", s3)
    with pytest.raises(FileNotFoundError), store.readable("nope.mp4"):
        pass
    assert store.read_bytes("x", 0, 0) == b""
    store.put("short", b"abc")
    assert store.read_bytes("short", 10, 5) == b""  # a range past the end reads as empty
    gone = S3Store("s3://avpipe-no-such-bucket-here", s3)
    with pytest.raises(ConfigurationError, match="NoSuchBucket"):
        gone.put("k", b"x")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [("AccessDenied", 403, PermissionError), ("SlowDown", 503, TransientError),
     ("InternalError", 500, TransientError), ("NoSuchKey", 404, FileNotFoundError),
     ("InvalidAccessKeyId", 403, ConfigurationError)],
)
def test_botocore_errors_are_translated(code: str, status: int, expected: type[BaseException]) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = S3Store("s3://bucket/pre", s3)
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status,
                              expected_params={"Bucket": "bucket", "Key": "pre/a.mp4"})
        with pytest.raises(expected) as info:
            store.read_bytes("a.mp4")
    assert info.value.__cause__ is not None  # raised ... from the botocore error


def test_unreachable_endpoint_is_transient() -> None:
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    with pytest.raises(TransientError, match="could not be reached"):
        S3Store("s3://bucket", s3).stat("k")


def test_client_is_built_from_aws_endpoint_url(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = new_bucket(moto_endpoint)
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    store = S3Store(f"s3://{bucket}", environ={"AWS_ENDPOINT_URL": moto_endpoint})
    store.put("hello.txt", b"hi")
    assert client(moto_endpoint, "s3").get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"hi"


def test_content_types_are_set(pair: tuple[S3Store, S3Store], s3: Any) -> None:
    watch, _ = pair
    watch.put("audiovideo/a_720p.mp4", b"x")
    watch.put("closed-caption/a.vtt", b"WEBVTT", content_type="text/vtt; charset=utf-8")
    assert s3.head_object(Bucket=watch.bucket, Key="audiovideo/a_720p.mp4")["ContentType"] == "video/mp4"
    assert s3.head_object(Bucket=watch.bucket, Key="closed-caption/a.vtt")["ContentType"].startswith("text/vtt")


def test_registry_opens_s3_urls_with_an_injected_client(s3: Any) -> None:
    store = open_store("s3://bucket/a/b/", client=s3)
    assert isinstance(store, S3Store) and store.uri("x y.mp4") == "s3://bucket/a/b/x y.mp4"
    assert store.key_for_uri("s3://bucket/a/b/x y.mp4") == "x y.mp4"
    assert store.key_for_uri("s3://bucket/a/other") is None and store.key_for_uri("s3://bucket2/a/b/x") is None


def test_urls_are_parsed() -> None:
    assert parse_s3_url("s3://b") == ("b", "")
    assert parse_s3_url("s3://b/p/q/") == ("b", "p/q/")
    with pytest.raises(ConfigurationError):
        parse_s3_url("s3://")
