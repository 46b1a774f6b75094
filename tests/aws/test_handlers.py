"""Event parsing, bucket-to-store mapping and the handlers' edges (environment, failures)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avpipe.aws import handlers
from avpipe.aws.events import S3Object, job_state_change_of, s3_objects
from avpipe.aws.runtime import AwsRuntime, UnconfiguredStore
from avpipe.errors import BadInputError, ConfigurationError
from avpipe.logs import JsonFormatter
from avpipe.pipeline.events import ObjectCreated

from moto_server import client, new_bucket

EVENTS = Path(__file__).parent / "events"


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def test_keys_are_url_decoded_and_every_record_is_read() -> None:
    objects = s3_objects(event("s3_uploads_two_videos.json"))
    assert [(o.bucket, o.key) for o in objects] == [
        ("avpipe-watch", "inputs/lecture 1/intro été.mp4"),  # '+' is a space, %C3%A9 is é
        ("avpipe-watch", "inputs/broken+clip.mp4"),  # %2B is a real plus sign
    ]
    assert objects[1].event_name == "ObjectCreated:CompleteMultipartUpload"
    assert objects[0].size == 151040 and objects[0].etag == "e4d909c290d0fb1ca068ffaddf22cbd0"


def test_test_events_and_other_records_yield_nothing() -> None:
    assert s3_objects(event("s3_test_event.json")) == []
    removed = event("s3_original_created.json")
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert s3_objects(removed) == []


def test_notifications_wrapped_in_sns_and_sqs() -> None:
    inner = json.dumps(event("s3_uploads_two_videos.json"))
    via_sns = {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": inner}}]}
    via_sqs = {"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": inner}]}
    assert s3_objects(via_sns) == s3_objects(via_sqs) == s3_objects(event("s3_uploads_two_videos.json"))
    with pytest.raises(BadInputError):
        s3_objects({"Records": [{"body": "not json"}]})


def test_job_events_are_recognised() -> None:
    change = job_state_change_of(event("mediaconvert_complete.json"))
    assert change is not None and change.status == "COMPLETE" and len(change.outputs) == 3
    error = job_state_change_of(event("mediaconvert_error.json"))
    assert error is not None and error.error_code == 1010
    assert job_state_change_of(event("eventbridge_other.json")) is None


@pytest.mark.parametrize(
    ("public_url", "bucket", "key", "expected"),
    [
        ("s3://pub", "watch", "inputs/a.mp4", ObjectCreated("watch", "inputs/a.mp4")),
        ("s3://pub", "pub", "original/a.mp4", ObjectCreated("public", "original/a.mp4")),
        ("s3://one", "one", "inputs/a.mp4", ObjectCreated("watch", "inputs/a.mp4")),  # one bucket for both
        ("s3://pub/site", "pub", "site/original/a.mp4", ObjectCreated("public", "original/a.mp4")),
    ],
)
def test_buckets_map_to_stores(public_url: str, bucket: str, key: str, expected: ObjectCreated) -> None:
    runtime = AwsRuntime.from_env({"AVPIPE_PUBLIC_URL": public_url}, s3=object())
    assert runtime.event_for(S3Object(bucket, key)) == expected


def test_missing_bucket_settings_say_what_to_set() -> None:
    runtime = AwsRuntime.from_env({}, s3=object())
    with pytest.raises(ConfigurationError, match="DESTINATION_BUCKET"):
        runtime.public_store()
    watch = runtime.watch_store(None)
    assert isinstance(watch, UnconfiguredStore)
    with pytest.raises(ConfigurationError, match="WATCH_BUCKET"):
        watch.exists("inputs/a.mp4")
    assert runtime.watch_store("uploads").uri("inputs/a.mp4") == "s3://uploads/inputs/a.mp4"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    logger = logging.getLogger("avpipe")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved
    handlers.use_runtime(None)


def test_first_invocation_builds_the_runtime_from_the_environment(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, restore_logging: None,
) -> None:
    public = new_bucket(moto_endpoint)
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t",
                        "AWS_DEFAULT_REGION": "us-east-1", "DESTINATION_BUCKET": public,
                        "APPLICATION_NAME": "my-app"}.items():
        monkeypatch.setenv(name, value)
    handlers.use_runtime(None)
    summary = handlers.job_state_change(event("mediaconvert_complete.json"), None)
    runtime = handlers.current_runtime()
    assert runtime.settings.backend == "mediaconvert" and runtime.settings.public_url == f"s3://{public}"
    assert summary["handled"] == [{"event": "job:1714564992123-abc123:COMPLETE"}]  # another application's job
    assert isinstance(logging.getLogger("avpipe").handlers[0].formatter, JsonFormatter)


def test_all_records_are_tried_before_a_failure_is_raised(moto_endpoint: str, media: Any,
                                                          restore_logging: None) -> None:
    s3 = client(moto_endpoint, "s3")
    watch = new_bucket(moto_endpoint)
    records = event("s3_uploads_two_videos.json")
    for record in records["Records"]:
        record["s3"]["bucket"]["name"] = watch
    s3.upload_file(str(media.tiny), watch, "inputs/lecture 1/intro été.mp4")
    s3.upload_file(str(media.tiny), watch, "inputs/broken+clip.mp4")
    analysed: list[str] = []
    s3.meta.events.register("provide-client-params.s3.HeadObject",
                            lambda params, **_: analysed.append(params["Key"]))
    env = {"DESTINATION_BUCKET": "avpipe-bucket-that-does-not-exist", "AVPIPE_BACKEND": "local"}
    handlers.use_runtime(AwsRuntime.from_env(env, s3=s3))
    with pytest.raises(ConfigurationError, match="NoSuchBucket"):
        handlers.media_lambda_handler(records, None)
    assert {"inputs/lecture 1/intro été.mp4", "inputs/broken+clip.mp4"} <= set(analysed)
