"""The Lambda handlers end to end against moto's HTTP server (S3, SNS, SQS), fed the
events S3 and EventBridge send (fixtures in tests/aws/events/, keys URL-encoded as S3
sends them). MediaConvert, which moto lacks, is a botocore Stubber."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from avpipe.analysis.mediainfo import probe
from avpipe.aws import handlers
from avpipe.aws.runtime import AwsRuntime
from avpipe.planning.jobs import client_request_token
from avpipe.planning.preview import PRIORITY as PREVIEW_PRIORITY
from avpipe.planning.preview import preview_request_token

from moto_server import client

EVENTS = Path(__file__).parent / "events"
WATCH, PUBLIC = "avpipe-watch", "avpipe-public"
VIDEO_KEY, CAPTION_KEY = "inputs/My Talk été.mp4", "inputs/My Talk été.srt"
CONTEXT = SimpleNamespace(aws_request_id="req-1", function_name="avpipe-media")


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[SimpleNamespace]:
    """The two buckets, a topic with an SQS queue subscribed to read notifications back."""
    s3, sns, sqs = (client(moto_endpoint, name) for name in ("s3", "sns", "sqs"))
    for bucket in (WATCH, PUBLIC):
        s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name="avpipe-jobs")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="avpipe-jobs-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    env = {"APPLICATION_NAME": "avpipe", "WATCH_BUCKET": WATCH, "DESTINATION_BUCKET": PUBLIC,
           "MEDIACONVERT_ROLE_ARN": "arn:aws:iam::123456789012:role/avpipe-mediaconvert",
           "AVPIPE_SNS_TOPIC_ARN": topic, "AVPIPE_RUNGS": "360,480,720"}
    yield SimpleNamespace(s3=s3, sns=sns, sqs=sqs, queue_url=queue_url, env=env)
    handlers.use_runtime(None)
    for bucket in (WATCH, PUBLIC):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in page.get("Versions", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=queue_url)


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def notifications(aws: SimpleNamespace) -> list[dict[str, Any]]:
    messages = aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(json.loads(m["Body"])["Message"]) for m in messages]


def manifest(aws: SimpleNamespace, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(aws.s3.get_object(Bucket=PUBLIC, Key=f"json/{name}.json")["Body"].read())
    return data


def test_local_backend_end_to_end(aws: SimpleNamespace, media: Any, tmp_path: Path) -> None:
    aws.s3.upload_file(str(media.landscape_720p), WATCH, VIDEO_KEY)
    aws.s3.upload_file(str(media.srt), WATCH, CAPTION_KEY)
    aws.s3.put_object(Bucket=WATCH, Key="inputs/big upload.mp4.CHUNK0", Body=b"part")
    handlers.use_runtime(AwsRuntime.from_env({**aws.env, "AVPIPE_BACKEND": "local"}, s3=aws.s3, sns=aws.sns))

    assert handlers.media_lambda_handler(event("s3_test_event.json"), CONTEXT)["handled"] == []
    summary = handlers.media_lambda_handler(event("s3_uploads_video_captions_chunk.json"), CONTEXT)
    assert summary["ignored"] == ["inputs/big upload.mp4.CHUNK0"] and summary["failed"] == []
    handled = [(h["event"].split(":")[0], h.get("status")) for h in summary["handled"]]
    # the preview's job completes (and is published) while the upload is handled, then the ladder's, then captions
    assert handled == [("job", "processing"), ("watch", "processing"), ("job", "complete"), ("watch", "complete")]
    assert summary["handled"][1]["event"] == f"watch:{VIDEO_KEY}" and summary["request_id"] == "req-1"
    thumbnail = handlers.save_video_frame(event("s3_original_created.json"), CONTEXT)
    assert thumbnail["handled"] == [{"event": "public:original/My Talk été.mp4", "asset": "My Talk été",
                                     "status": "complete"}]

    stream = ["audiovideo/My Talk été.m3u8", "audiovideo/My Talk été.mpd"] + [
        f"audiovideo/My Talk été_{part}" for part in ("360p.cmfv", "360p.m3u8", "480p.cmfv", "480p.m3u8",
                                                      "720p.cmfv", "720p.m3u8", "audio.cmfa", "audio.m3u8")]
    assert keys(aws.s3, PUBLIC) == sorted([
        "audiovideo/My Talk été_360p.mp4", "audiovideo/My Talk été_480p.mp4", "audiovideo/My Talk été_720p.mp4",
        *stream, "closed-caption/My Talk été.vtt", "json/My Talk été.json",
        "original/My Talk été.mp4", "original/My Talk été.srt", "thumbnail/My Talk été.jpg",
    ])
    assert keys(aws.s3, WATCH, "inputs/") == ["inputs/big upload.mp4.CHUNK0"]  # processed uploads removed
    claims = [json.loads(aws.s3.get_object(Bucket=WATCH, Key=k)["Body"].read()) for k in keys(aws.s3, WATCH, "claims/")]
    assert sorted(c["state"] for c in claims) == ["done", "done"]  # one claim per upload version, both settled
    original = aws.s3.get_object(Bucket=PUBLIC, Key="original/My Talk été.mp4")["Body"].read()
    assert original == media.landscape_720p.read_bytes()
    for rung, size in ((360, (640, 360)), (480, (854, 480)), (720, (1280, 720))):
        local = tmp_path / f"{rung}.mp4"
        aws.s3.download_file(PUBLIC, f"audiovideo/My Talk été_{rung}p.mp4", str(local))
        facts = probe(str(local))
        assert facts.video is not None and (facts.video.width, facts.video.height) == size
    head = aws.s3.head_object(Bucket=PUBLIC, Key="audiovideo/My Talk été_720p.mp4")
    assert head["ContentType"] == "video/mp4"
    vtt = aws.s3.get_object(Bucket=PUBLIC, Key="closed-caption/My Talk été.vtt")["Body"].read().decode()
    assert vtt.startswith("WEBVTT") and "-->" in vtt
    jpeg = aws.s3.get_object(Bucket=PUBLIC, Key="thumbnail/My Talk été.jpg")["Body"].read()
    assert jpeg[:3] == b"\xff\xd8\xff"

    record = manifest(aws, "My Talk été")
    assert record["status"] == "complete" and record["kind"] == "video"
    assert record["preview"] is None and record["playable_at"] <= record["completed_at"]  # preview gone (keys above)
    assert "preview published (remux)" in [h["message"] for h in record["history"]]
    assert record["thumbnail"] == "thumbnail/My Talk été.jpg"
    assert sorted(o["key"] for o in record["outputs"] if o["key"].endswith(".mp4")) == [
        f"audiovideo/My Talk été_{r}p.mp4" for r in (360, 480, 720)]
    assert [c["key"] for c in record["captions"]] == ["closed-caption/My Talk été.vtt"]
    [note] = notifications(aws)
    assert note["source"] == "aws.mediaconvert" and note["detail"]["status"] == "COMPLETE"
    assert note["detail"]["userMetadata"]["asset"] == "My Talk été"


def mediaconvert_stub(jobs: list[tuple[str, str]]) -> tuple[Any, Stubber]:
    """A MediaConvert client answering CreateJob for (job id, expected request token) in turn."""
    mediaconvert = boto3.client("mediaconvert", region_name="us-east-1", aws_access_key_id="x",
                                aws_secret_access_key="x", endpoint_url="https://mediaconvert.us-east-1.amazonaws.com")
    stub = Stubber(mediaconvert)
    for job_id, token in jobs:  # each upload: its preview first (checked against the model too), then the ladder
        stub.add_response("create_job", {"Job": {"Id": f"{job_id}-preview", "Role": "r", "Settings": {}}},
                          {"Role": ANY, "Settings": ANY, "UserMetadata": ANY, "StatusUpdateInterval": ANY,
                           "ClientRequestToken": preview_request_token(token), "Priority": PREVIEW_PRIORITY})
        stub.add_response("create_job", {"Job": {"Id": job_id, "Role": "r", "Settings": {}}},
                          {"Role": ANY, "Settings": ANY, "UserMetadata": ANY, "StatusUpdateInterval": ANY,
                           "ClientRequestToken": token})
    stub.activate()
    return mediaconvert, stub


def test_mediaconvert_backend_and_job_state_changes(aws: SimpleNamespace, media: Any) -> None:
    aws.s3.upload_file(str(media.landscape_720p), WATCH, "inputs/lecture 1/intro été.mp4")
    aws.s3.upload_file(str(media.portrait), WATCH, "inputs/broken+clip.mp4")
    records = event("s3_uploads_two_videos.json")["Records"]
    tokens = [client_request_token(f"s3://{WATCH}/{key}", r["s3"]["object"]["eTag"])
              for key, r in zip(["inputs/lecture 1/intro été.mp4", "inputs/broken+clip.mp4"], records, strict=True)]
    mediaconvert, stub = mediaconvert_stub(list(zip(["1714564992123-abc123", "1714565050456-def456"], tokens,
                                                    strict=True)))
    handlers.use_runtime(AwsRuntime.from_env(aws.env, s3=aws.s3, sns=aws.sns, mediaconvert=mediaconvert))

    summary = handlers.media_lambda_handler(event("s3_uploads_two_videos.json"), CONTEXT)
    stub.assert_no_pending_responses()
    assert [h["status"] for h in summary["handled"]] == ["processing", "processing"]
    assert manifest(aws, "lecture 1/intro été")["job"] == {"backend": "mediaconvert", "id": "1714564992123-abc123"}
    assert manifest(aws, "broken+clip")["job"]["id"] == "1714565050456-def456"
    assert "original/lecture 1/intro été.mp4" in keys(aws.s3, PUBLIC)  # copied server-side at submission

    done = handlers.job_state_change(event("mediaconvert_complete.json"), CONTEXT)
    assert done["handled"] == [{"event": "job:1714564992123-abc123:COMPLETE", "asset": "lecture 1/intro été",
                                "status": "complete"}]
    complete = manifest(aws, "lecture 1/intro été")
    assert complete["status"] == "complete"
    assert [(o["key"], o["rung"], o["width"], o["height"]) for o in complete["outputs"]] == [
        ("audiovideo/lecture 1/intro été_360p.mp4", 360, 640, 360),
        ("audiovideo/lecture 1/intro été_480p.mp4", 480, 854, 480),
        ("audiovideo/lecture 1/intro été_720p.mp4", 720, 1280, 720)]
    assert "inputs/lecture 1/intro été.mp4" not in keys(aws.s3, WATCH)

    handlers.job_state_change(event("mediaconvert_error.json"), CONTEXT)
    failed = manifest(aws, "broken+clip")
    assert failed["status"] == "failed"
    assert failed["error"]["category"] == "bad_input" and failed["error"]["step"] == "transcode"
    assert "Unable to open input file" in failed["error"]["reason"]
    assert "inputs/broken+clip.mp4" in keys(aws.s3, WATCH)  # a failed upload stays for inspection

    statuses = sorted((n["detail"]["status"], n["detail"]["jobId"]) for n in notifications(aws))
    assert statuses == [("COMPLETE", "1714564992123-abc123"), ("ERROR", "1714565050456-def456")]
    assert handlers.job_state_change(event("eventbridge_other.json"), CONTEXT)["handled"] == []
    assert notifications(aws) == []  # nothing more was published


def test_mp3_uploads_are_copied_server_side(aws: SimpleNamespace, media: Any) -> None:
    aws.s3.upload_file(str(media.mp3), WATCH, "inputs/song été.mp3")
    uploaded = event("s3_uploads_two_videos.json")
    uploaded["Records"] = uploaded["Records"][:1]
    uploaded["Records"][0]["s3"]["object"]["key"] = "inputs/song+%C3%A9t%C3%A9.mp3"
    calls: list[str] = []
    aws.s3.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
    handlers.use_runtime(AwsRuntime.from_env(aws.env, s3=aws.s3, sns=aws.sns))
    summary = handlers.media_lambda_handler(uploaded, CONTEXT)
    assert summary["handled"] == [{"event": "watch:inputs/song été.mp3", "asset": "song été", "status": "complete"}]
    assert calls.count("CopyObject") == 2  # original/ and audiovideo/, never through this process
    assert calls.count("PutObject") == calls.count("GetObject") + 1  # only manifests are written and read
    for key in ("audiovideo/song été.mp3", "original/song été.mp3"):
        assert aws.s3.get_object(Bucket=PUBLIC, Key=key)["Body"].read() == media.mp3.read_bytes()
    assert keys(aws.s3, WATCH, "inputs/") == []


def test_duplicate_concurrent_deliveries_make_one_job(aws: SimpleNamespace, media: Any) -> None:
    """S3 delivers at least once: the same event handled by four Lambdas at once, then again later."""
    aws.s3.upload_file(str(media.tiny), WATCH, "inputs/dup.mp4")
    etag = aws.s3.head_object(Bucket=WATCH, Key="inputs/dup.mp4")["ETag"].strip('"')
    uploaded = event("s3_uploads_two_videos.json")
    uploaded["Records"] = uploaded["Records"][:1]
    uploaded["Records"][0]["s3"]["object"].update(key="inputs/dup.mp4", eTag=etag)
    handlers.use_runtime(AwsRuntime.from_env({**aws.env, "AVPIPE_BACKEND": "local"}, s3=aws.s3, sns=aws.sns))
    barrier, summaries = threading.Barrier(4), []

    def deliver() -> None:
        barrier.wait()
        summaries.append(handlers.media_lambda_handler(uploaded, CONTEXT))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    summaries.append(handlers.media_lambda_handler(uploaded, CONTEXT))  # a late re-delivery
    jobs = [h for s in summaries for h in s["handled"] if h["event"].startswith("job:")]
    assert [job["status"] for job in jobs] == ["processing", "complete"]  # one preview, one ladder
    assert all(s["failed"] == [] for s in summaries)
    manifest = json.loads(aws.s3.get_object(Bucket=PUBLIC, Key="json/dup.json")["Body"].read())
    assert [h["status"] for h in manifest["history"]] == ["processing", "processing", "complete"]  # the 2nd: preview
    assert len(notifications(aws)) == 1
