"""File integrity on S3 (moto over HTTP): S3's own SHA-256 checksums, what S3 vouches for when
MediaConvert wrote an object, ``avpipe verify`` against a bucket, identical re-uploads."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.stub import ANY, Stubber

from avpipe.aws.runtime import AwsRuntime
from avpipe.manifest import load_manifest, save_manifest
from avpipe.pipeline.events import JobOutput, JobStateChange, ObjectCreated
from avpipe.storage.s3 import S3Store

from moto_server import CREDENTIALS, REGION, client, new_bucket

NAME, VIDEO = "clip", "inputs/clip.mp4"
SCHEMA = json.loads((Path(__file__).parents[2] / "src/avpipe/schemas/manifest.schema.json").read_text())
RENDITION = "audiovideo/clip_360p.mp4"


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[SimpleNamespace]:
    s3 = client(moto_endpoint, "s3")
    watch, public = new_bucket(moto_endpoint, "avpipe-watch"), new_bucket(moto_endpoint, "avpipe-public")
    env = {"APPLICATION_NAME": "avpipe", "WATCH_BUCKET": watch, "DESTINATION_BUCKET": public,
           "MEDIACONVERT_ROLE_ARN": "arn:aws:iam::123456789012:role/avpipe-mediaconvert", "AVPIPE_RUNGS": "360"}
    yield SimpleNamespace(s3=s3, watch=watch, public=public, env=env, endpoint=moto_endpoint,
                          store=S3Store(f"s3://{public}", s3))


def run_local(aws: SimpleNamespace, key: str = VIDEO) -> AwsRuntime:
    runtime = AwsRuntime.from_env({**aws.env, "AVPIPE_BACKEND": "local"}, s3=aws.s3)
    runtime.handle(ObjectCreated("watch", key), aws.watch)
    runtime.handle(ObjectCreated("public", "original/clip.mp4"))  # S3 notifies save_video_frame
    return runtime


def body(aws: SimpleNamespace, key: str) -> bytes:
    data: bytes = aws.s3.get_object(Bucket=aws.public, Key=key)["Body"].read()
    return data


def verify(aws: SimpleNamespace, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AVPIPE_", "AWS_"))}
    environ.update(AVPIPE_PUBLIC_URL=f"s3://{aws.public}", AWS_ENDPOINT_URL=aws.endpoint,
                   AWS_DEFAULT_REGION=REGION, AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
                   AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"])
    return subprocess.run([sys.executable, "-m", "avpipe", "verify", *args], capture_output=True, text=True,
                          env=environ, timeout=120, check=False)


def test_uploads_carry_s3_sha256_checksums_that_the_manifest_records(aws: SimpleNamespace, media: Any) -> None:
    aws.s3.upload_file(str(media.landscape_720p), aws.watch, VIDEO)
    aws.s3.put_object(Bucket=aws.watch, Key="inputs/clip.srt", Body=media.srt.read_bytes())
    runtime = run_local(aws)
    runtime.handle(ObjectCreated("watch", "inputs/clip.srt"), aws.watch)
    manifest = load_manifest(aws.store, NAME)
    assert manifest is not None and manifest.status == "complete"
    records = {manifest.original: manifest.original_file, manifest.thumbnail: manifest.thumbnail_file,
               **{o.key: o.file for o in manifest.outputs}, **{c.key: c.file for c in manifest.captions}}
    streams = {key for key in records if key and key.endswith((".m3u8", ".mpd", ".cmfv", ".cmfa"))}
    assert streams, "the local backend packages the CMAF group too"
    assert set(records) - streams == {"original/clip.mp4", "thumbnail/clip.jpg", RENDITION, "closed-caption/clip.vtt"}
    for key, record in records.items():
        assert key is not None and record is not None
        data = body(aws, key)
        head = aws.s3.head_object(Bucket=aws.public, Key=key, ChecksumMode="ENABLED")
        assert "ChecksumSHA256" in head, f"{key} was written without S3's SHA-256 checksum"
        assert record.proof == "s3-checksum" and record.size == len(data), key
        assert record.sha256 == hashlib.sha256(data).hexdigest(), key  # an independent hashlib computation
        assert record.etag == head["ETag"].strip('"') and record.checksum_sha256 == head["ChecksumSHA256"], key
    assert manifest.outputs[0].codecs is not None and manifest.outputs[0].codecs.endswith("mp4a.40.2")
    jsonschema.validate(json.loads(body(aws, "json/clip.json")), SCHEMA)


def mediaconvert_client() -> tuple[Any, Stubber]:
    mediaconvert = boto3.client("mediaconvert", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x",
                                endpoint_url="https://mediaconvert.us-east-1.amazonaws.com")
    stub = Stubber(mediaconvert)
    stub.add_response("create_job", {"Job": {"Id": "job-1-preview", "Role": "r", "Settings": {}}},
                      {"Role": ANY, "Settings": ANY, "UserMetadata": ANY, "StatusUpdateInterval": ANY,
                       "ClientRequestToken": ANY, "Priority": ANY})
    stub.add_response("create_job", {"Job": {"Id": "job-1", "Role": "r", "Settings": {}}},
                      {"Role": ANY, "Settings": ANY, "UserMetadata": ANY, "StatusUpdateInterval": ANY,
                       "ClientRequestToken": ANY})
    stub.activate()
    return mediaconvert, stub


def test_objects_mediaconvert_wrote_get_what_s3_vouches_for(aws: SimpleNamespace, media: Any) -> None:
    aws.s3.upload_file(str(media.landscape_720p), aws.watch, VIDEO)
    mediaconvert, stub = mediaconvert_client()
    runtime = AwsRuntime.from_env(aws.env, s3=aws.s3, mediaconvert=mediaconvert)
    runtime.handle(ObjectCreated("watch", VIDEO), aws.watch)
    stub.assert_no_pending_responses()
    # MediaConvert writes its outputs itself, without a SHA-256 checksum: one into staging/, one in place
    staged, direct = "staging/job-1/clip_360p.mp4", "audiovideo/clip_720p.mp4"
    for key in (staged, direct):
        aws.s3.put_object(Bucket=aws.public, Key=key, Body=media.tiny.read_bytes())
    metadata = {"application": "avpipe", "asset": NAME, "input": VIDEO}
    outputs = tuple(JobOutput(f"s3://{aws.public}/{key}", 160, 90, 500) for key in (staged, direct))
    runtime.handle(JobStateChange("job-1", "COMPLETE", metadata, outputs))

    manifest = load_manifest(aws.store, NAME)
    assert manifest is not None and manifest.status == "complete"
    moved, in_place = manifest.outputs
    digest = hashlib.sha256(media.tiny.read_bytes()).hexdigest()
    # publishing copied it server-side with ChecksumAlgorithm=SHA256: S3 computed the file's SHA-256
    assert moved.key == RENDITION and moved.file is not None and moved.file.proof == "s3-checksum"
    assert moved.file.sha256 == digest and moved.file.etag
    # left where MediaConvert put it: S3 vouches for its ETag and size only
    assert in_place.file is not None and in_place.file.proof == "s3-etag" and in_place.file.sha256 is None
    assert in_place.file.etag == aws.s3.head_object(Bucket=aws.public, Key=direct)["ETag"].strip('"')
    assert in_place.file.size == media.tiny.stat().st_size and in_place.codecs == moved.codecs
    assert manifest.original_file is not None and manifest.original_file.proof == "s3-checksum"
    assert manifest.original_file.sha256 == hashlib.sha256(media.landscape_720p.read_bytes()).hexdigest()
    assert verify(aws, NAME).returncode == 0
    jsonschema.validate(json.loads(body(aws, "json/clip.json")), SCHEMA)


@pytest.mark.parametrize("damage", ["one byte changed", "truncated", "deleted"])
def test_verify_against_the_bucket_names_the_damaged_file(aws: SimpleNamespace, media: Any, damage: str) -> None:
    aws.s3.upload_file(str(media.tiny), aws.watch, VIDEO)
    run_local(aws)
    fresh = verify(aws)
    assert fresh.returncode == 0 and fresh.stdout.strip() == "clip: ok (9 files)", fresh.stdout + fresh.stderr
    rendition = "audiovideo/clip_90p.mp4"  # the tiny clip's one rendition, at its own size
    data = bytearray(body(aws, rendition))
    if damage == "one byte changed":
        data[len(data) // 2] ^= 0x01
        aws.s3.put_object(Bucket=aws.public, Key=rendition, Body=bytes(data))
    elif damage == "truncated":
        aws.s3.put_object(Bucket=aws.public, Key=rendition, Body=bytes(data[:-100]))
    else:
        aws.s3.delete_object(Bucket=aws.public, Key=rendition)
    result = verify(aws, NAME)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("clip: FAILED") and rendition in line and "Traceback" not in result.stderr, line
    if damage == "deleted":
        assert "is missing" in line
    stored = load_manifest(aws.store, NAME)
    assert stored is not None and stored.verification is not None and not stored.verification.ok


def test_decode_reads_the_bucket_and_catches_damage_that_keeps_the_size(aws: SimpleNamespace, media: Any) -> None:
    aws.s3.upload_file(str(media.landscape_720p), aws.watch, VIDEO)
    run_local(aws)
    data = bytearray(body(aws, RENDITION))
    data[len(data) // 2:len(data) // 2 + 4096] = os.urandom(4096)
    aws.s3.put_object(Bucket=aws.public, Key=RENDITION, Body=bytes(data), ChecksumAlgorithm="SHA256")
    manifest = load_manifest(aws.store, NAME)
    assert manifest is not None
    outputs = tuple(replace(o, file=aws.store.fingerprint(o.key)) for o in manifest.outputs)
    save_manifest(aws.store, replace(manifest, outputs=outputs))  # as if damaged before it was recorded
    assert verify(aws, NAME).returncode == 0
    result = verify(aws, NAME, "--decode")
    assert result.returncode == 1 and RENDITION in result.stdout and "damaged" in result.stdout, result.stdout


def test_an_identical_reupload_with_a_sha256_checksum_is_not_encoded_again(aws: SimpleNamespace, media: Any) -> None:
    upload = {"ExtraArgs": {"ChecksumAlgorithm": "SHA256"}}  # aws s3 cp --checksum-algorithm SHA256
    aws.s3.upload_file(str(media.tiny), aws.watch, VIDEO, **upload)
    run_local(aws)
    first = load_manifest(aws.store, NAME)
    assert first is not None and first.job is not None
    aws.s3.upload_file(str(media.tiny), aws.watch, VIDEO, **upload)
    runtime = AwsRuntime.from_env({**aws.env, "AVPIPE_BACKEND": "local"}, s3=aws.s3)
    # the template's buckets use SSE-KMS, where ETags are not MD5s: the same bytes uploaded again are a
    # new version (moto's ETags are MD5s, so the event carries the ETag S3 would send)
    runtime.handle(ObjectCreated("watch", VIDEO, etag="0f1e2d3c4b5a69788796a5b4c3d2e1f0"), aws.watch)
    again = load_manifest(aws.store, NAME)
    assert again is not None and again.job == first.job and again.status == "complete"
    assert "same bytes as the published original" in again.history[-1]["message"]
    assert "Contents" not in aws.s3.list_objects_v2(Bucket=aws.watch, Prefix="inputs/")
    assert json.loads(body(aws, "json/clip.json"))["original_file"]["sha256"] == first.original_file.sha256 \
        if first.original_file else False


def test_a_cmaf_groups_unlisted_segments_are_published_with_the_job(aws: SimpleNamespace, media: Any) -> None:
    """MediaConvert's COMPLETE event lists the stream's manifests, not its segments: all are published."""
    aws.s3.upload_file(str(media.landscape_720p), aws.watch, VIDEO)
    mediaconvert, stub = mediaconvert_client()
    runtime = AwsRuntime.from_env(aws.env, s3=aws.s3, mediaconvert=mediaconvert)
    runtime.handle(ObjectCreated("watch", VIDEO), aws.watch)
    staged = {"staging/job-1/clip_360p.mp4": media.tiny.read_bytes(), "staging/job-1/clip.m3u8": b"#EXTM3U\n",
              "staging/job-1/clip_360p.m3u8": b"#EXTM3U\n", "staging/job-1/clip_360p.cmfv": b"segments",
              "staging/job-1/clip_audio.cmfa": b"audio"}
    for key, data in staged.items():
        aws.s3.put_object(Bucket=aws.public, Key=key, Body=data)
    metadata = {"application": "avpipe", "asset": NAME, "input": VIDEO}
    listed = ("staging/job-1/clip_360p.mp4", "staging/job-1/clip.m3u8")
    runtime.handle(JobStateChange("job-1", "COMPLETE", metadata,
                                  tuple(JobOutput(f"s3://{aws.public}/{key}") for key in listed)))
    public = {o["Key"] for o in aws.s3.list_objects_v2(Bucket=aws.public).get("Contents", [])}
    assert {"audiovideo/clip_360p.cmfv", "audiovideo/clip_audio.cmfa", "audiovideo/clip_360p.m3u8",
            "audiovideo/clip.m3u8"} <= public
    assert not any(key.startswith("staging/") for key in public)
    manifest = load_manifest(aws.store, NAME)
    assert manifest is not None and manifest.status == "complete"
    assert "audiovideo/clip_360p.cmfv" in {o.key for o in manifest.outputs}
