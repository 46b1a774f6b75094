"""CreateJob as MediaConvert receives it: real clips -> probe -> plan -> botocore Stubber,
which validates each request against botocore's MediaConvert model."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError, ReadTimeoutError
from botocore.stub import ANY, Stubber

from avpipe.analysis.mediainfo import probe
from avpipe.analysis.routing import route
from avpipe.config import Settings
from avpipe.errors import BadInputError, ConfigurationError, TransientError
from avpipe.keys import AssetKeys
from avpipe.planning.asset import plan_asset
from avpipe.planning.jobs import client_request_token
from avpipe.planning.templates import load_template
from avpipe.retrying import RetryPolicy
from avpipe.storage.s3 import S3Store
from avpipe.transcode.mediaconvert import MediaConvertTranscoder

ROLE = "arn:aws:iam::123456789012:role/avpipe-mediaconvert"
QUEUE = "arn:aws:mediaconvert:eu-west-1:123456789012:queues/avpipe"
ETAG = "9b2cf535f27731c974343645a3985328"
SETTINGS = Settings(application_name="avpipe-test", mediaconvert_role_arn=ROLE)
TEMPLATE = json.loads(resources.files("avpipe.templates").joinpath("job.json").read_text())
INPUT_KEY = "inputs/course 1/talk é.mp4"


def mediaconvert() -> Any:
    return boto3.client("mediaconvert", region_name="eu-west-1", aws_access_key_id="x",
                        aws_secret_access_key="x", endpoint_url="https://mediaconvert.eu-west-1.amazonaws.com")


def job_response(job_id: str) -> dict[str, Any]:
    return {"Job": {"Id": job_id, "Role": ROLE, "Settings": {}, "Status": "SUBMITTED"}}


def planned_request(path: Path) -> dict[str, Any]:
    """The request the media handler would submit for ``path`` uploaded to INPUT_KEY."""
    facts = probe(str(path))
    plan = plan_asset(AssetKeys.for_input(INPUT_KEY), facts, route(facts), settings=SETTINGS,
                      video_template=load_template(None, "job.json"),
                      audio_template=load_template(None, "audio_job.json"),
                      watch_uri=S3Store("s3://avpipe-watch").uri, public_uri=S3Store("s3://avpipe-public").uri,
                      upload_version=ETAG)
    assert plan.mediaconvert_job is not None
    return plan.mediaconvert_job


def template_output(modifier: str) -> dict[str, Any]:
    outputs = TEMPLATE["Settings"]["OutputGroups"][0]["Outputs"]
    return next(o for o in outputs if o["NameModifier"] == modifier)


@pytest.mark.parametrize(
    ("clip", "sizes"),
    [
        ("landscape_1080p", [("_360p", 640, 360), ("_480p", 854, 480), ("_720p", 1280, 720), ("_1080p", 1920, 1080)]),
        ("landscape_720p", [("_360p", 640, 360), ("_480p", 854, 480), ("_720p", 1280, 720)]),
        ("portrait", [("_360p", 360, 640), ("_480p", 480, 854), ("_720p", 720, 1280)]),
        ("tiny", [("_90p", 160, 90)]),  # below 360p: one rendition at the source's own size
    ],
)
def test_create_job_requests_for_real_clips(media: Any, clip: str, sizes: list[tuple[str, int, int]]) -> None:
    request = planned_request(media.get(clip))
    video = probe(str(media.get(clip))).video
    assert video is not None
    outputs = request["Settings"]["OutputGroups"][0]["Outputs"]
    assert [(o["NameModifier"], o["VideoDescription"]["Width"], o["VideoDescription"]["Height"])
            for o in outputs] == sizes
    for output, (modifier, width, height) in zip(outputs, sizes, strict=True):
        source = template_output(modifier if modifier in {"_360p", "_480p", "_720p", "_1080p"} else "_360p")
        assert output["ContainerSettings"] == source["ContainerSettings"]
        cap = source["VideoDescription"]["CodecSettings"]["H264Settings"]["MaxBitrate"]
        if video.bit_rate and width * height >= 0.75 * video.display_width * video.display_height:
            cap = min(cap, video.bit_rate)  # never more bits than the source at its own size
        assert output["VideoDescription"]["CodecSettings"]["H264Settings"]["MaxBitrate"] == cap
    expected = {
        **request,
        "Queue": QUEUE,
        "Role": ROLE,
        "ClientRequestToken": client_request_token(f"s3://avpipe-watch/{INPUT_KEY}", ETAG),
        "UserMetadata": {"application": "avpipe-test", "asset": "course 1/talk é", "input": INPUT_KEY,
                         "sourceDurationS": request["UserMetadata"]["sourceDurationS"]},
    }
    assert request["Settings"]["Inputs"][0]["FileInput"] == f"s3://avpipe-watch/{INPUT_KEY}"
    destination = request["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["FileGroupSettings"]["Destination"]
    assert re.fullmatch(r"s3://avpipe-public/staging/[0-9a-f]{16}/course 1/talk é", destination), \
        "outputs are written to a private staging prefix and published on completion"
    stream = request["Settings"]["OutputGroups"][1]  # the CMAF group (HLS + DASH) is sent with the same rungs
    assert stream["OutputGroupSettings"]["CmafGroupSettings"]["Destination"] == destination
    assert [o["NameModifier"] for o in stream["Outputs"]] == [modifier for modifier, _, _ in sizes] + ["_audio"]
    client = mediaconvert()
    with Stubber(client) as stub:  # validates the request against botocore's model, then compares it
        stub.add_response("create_job", job_response("1700000000000-abcdef"), expected)
        job_id = MediaConvertTranscoder(client, queue=QUEUE).submit(request)
        stub.assert_no_pending_responses()
    assert job_id == "1700000000000-abcdef"


def test_request_token_is_stable_per_upload_version() -> None:
    token = client_request_token("s3://w/inputs/a.mp4", "etag1")
    assert token == client_request_token("s3://w/inputs/a.mp4", "etag1")
    assert len(token) <= 64 and token.isascii()
    others = {client_request_token("s3://w/inputs/a.mp4", "etag2"),
              client_request_token("s3://w/inputs/b.mp4", "etag1"),
              client_request_token("s3://x/inputs/a.mp4", "etag1")}
    assert token not in others and len(others) == 3


def test_throttling_is_retried_with_backoff_then_succeeds(media: Any) -> None:
    request = planned_request(media.landscape_720p)
    client, waits = mediaconvert(), []
    with Stubber(client) as stub:
        stub.add_client_error("create_job", "TooManyRequestsException", "Too Many Requests", 429,
                              expected_params=request)
        stub.add_client_error("create_job", "InternalServerErrorException", "oops", 500, expected_params=request)
        stub.add_response("create_job", job_response("job-3"), request)  # same token each time
        job_id = MediaConvertTranscoder(client, sleep=waits.append, jitter=lambda: 1.0).submit(request)
    assert job_id == "job-3"
    assert waits == [0.5, 1.0]


def test_throttling_exhausted_is_transient(media: Any) -> None:
    request = planned_request(media.landscape_720p)
    client, waits = mediaconvert(), []
    policy = RetryPolicy(attempts=3, base_s=1.0, cap_s=1.5)
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("create_job", "TooManyRequestsException", "slow down", 429)
        with pytest.raises(TransientError) as info:
            MediaConvertTranscoder(client, retry=policy, sleep=waits.append, jitter=lambda: 0.5).submit(request)
    assert waits == [0.5, 0.75]  # capped, jittered
    assert info.value.category == "transient" and info.value.__cause__ is not None


@pytest.mark.parametrize(
    ("code", "status", "message", "expected"),
    [
        ("BadRequestException", 400, "/outputGroups/0/outputs/0/videoDescription: Width out of range",
         ConfigurationError),
        ("BadRequestException", 400, "Invalid FileInput: unsupported characters in the input file URL", BadInputError),
        ("ForbiddenException", 403, "User is not authorized to perform: iam:PassRole", ConfigurationError),
        ("NotFoundException", 404, "Queue not found", ConfigurationError),
        ("ConflictException", 409, "conflict", ConfigurationError),
        ("ServiceQuotaExceededException", 402, "quota", TransientError),
    ],
)
def test_errors_are_mapped(media: Any, code: str, status: int, message: str, expected: type[Exception]) -> None:
    request = planned_request(media.landscape_720p)
    client, waits = mediaconvert(), []
    with Stubber(client) as stub:
        stub.add_client_error("create_job", code, message, status)
        with pytest.raises(expected) as info:
            MediaConvertTranscoder(client, sleep=waits.append).submit(request)
    assert waits == []  # none of these is retried at once
    assert message in str(info.value) or expected is TransientError


def test_invalid_request_is_a_configuration_error(media: Any) -> None:
    request = planned_request(media.landscape_720p)
    request["Settings"]["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["Width"] = "wide"
    with pytest.raises(ConfigurationError, match="does not fit MediaConvert's API") as info:
        MediaConvertTranscoder(mediaconvert()).submit(request)
    assert isinstance(info.value.__cause__, ParamValidationError)


def test_read_timeouts_are_retried_with_the_same_token() -> None:
    class FlakyClient:
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def create_job(self, **params: Any) -> dict[str, Any]:
            self.tokens.append(params["ClientRequestToken"])
            if len(self.tokens) == 1:
                raise ReadTimeoutError(endpoint_url="https://mediaconvert")
            return job_response("job-after-timeout")

    request = {"Role": ROLE, "ClientRequestToken": "t" * 64, "Settings": {"Inputs": [{"FileInput": "s3://w/k"}]}}
    flaky = FlakyClient()
    assert MediaConvertTranscoder(flaky, sleep=lambda _s: None).submit(request) == "job-after-timeout"
    assert flaky.tokens == ["t" * 64] * 2


def test_the_request_is_not_modified(media: Any) -> None:
    request = planned_request(media.portrait)
    before = json.dumps(request, sort_keys=True)
    client = mediaconvert()
    with Stubber(client) as stub:
        stub.add_response("create_job", job_response("j"), {**request, "Queue": ANY})
        MediaConvertTranscoder(client, queue=QUEUE).submit(request)
    assert json.dumps(request, sort_keys=True) == before
