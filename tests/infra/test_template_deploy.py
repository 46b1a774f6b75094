"""Deploy the transformed template into moto's CloudFormation and look at what it made.

moto implements the stack's buckets (names, encryption), functions, permissions, roles,
log groups, queue, topic and rule; it skips S3 bucket policies, SNS topic policies, SQS
queue policies and SNS subscriptions (with a warning) and does not apply a bucket's public
access block, lifecycle, CORS, versioning or notifications. Those are asserted on the
template in test_template_shape.py and test_least_privilege.py.
"""

from __future__ import annotations

import ast
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra_support import ARTEFACT_BUCKET, ARTEFACT_KEYS, REGION

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.* but it's not supported by moto:UserWarning")

APP = "lectures"
ACCOUNT = "123456789012"  # moto's account
WATCH = f"{APP}-watch-{ACCOUNT}-{REGION}"
PUBLIC = f"{APP}-public-{ACCOUNT}-{REGION}"


@pytest.fixture(scope="module")
def stack(cfn_template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing",
                                        aws_secret_access_key="testing")
        s3 = session.client("s3")
        s3.create_bucket(Bucket=ARTEFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        for key in ARTEFACT_KEYS.values():
            s3.put_object(Bucket=ARTEFACT_BUCKET, Key=key, Body=_tiny_zip())
        cloudformation = session.client("cloudformation")
        cloudformation.create_stack(
            StackName="avpipe-test",
            TemplateBody=json.dumps(cfn_template),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[{"ParameterKey": "ApplicationName", "ParameterValue": APP},
                        {"ParameterKey": "NotificationEmail", "ParameterValue": "ops@example.com"},
                        {"ParameterKey": "LogRetentionDays", "ParameterValue": "30"}],
        )
        (described,) = cloudformation.describe_stacks(StackName="avpipe-test")["Stacks"]
        yield {"session": session, "stack": described,
               "outputs": {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}}


def _tiny_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.py", "")
    return buffer.getvalue()


def _document(response: dict[str, Any]) -> dict[str, Any]:
    document = response["PolicyDocument"]  # botocore decodes JSON to a dict; moto's CloudFormation
    if isinstance(document, dict):  # stores some inline policies as a Python repr instead
        return document
    parsed: dict[str, Any] = ast.literal_eval(document)
    return parsed


def test_stack_is_created_with_its_outputs(stack: dict[str, Any]) -> None:
    assert stack["stack"]["StackStatus"] == "CREATE_COMPLETE"
    assert stack["outputs"]["WatchBucketName"] == WATCH
    assert stack["outputs"]["UploadLocation"] == f"s3://{WATCH}/inputs/"
    assert stack["outputs"]["PublicBucketName"] == PUBLIC


@pytest.mark.parametrize("bucket", [WATCH, PUBLIC])
def test_buckets_exist_encrypted(stack: dict[str, Any], bucket: str) -> None:
    s3 = stack["session"].client("s3")
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_rule_matches_this_applications_finished_jobs_and_targets_function_and_topic(stack: dict[str, Any]) -> None:
    events = stack["session"].client("events")
    rule = events.describe_rule(Name=f"{APP}-mediaconvert-job-state")
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.mediaconvert"],
        "detail-type": ["MediaConvert Job State Change"],
        "detail": {"status": ["COMPLETE", "ERROR"], "userMetadata": {"application": [APP]}},
    }
    told = events.describe_rule(Name=f"{APP}-job-notifications")
    assert json.loads(told["EventPattern"])["detail"]["userMetadata"] == {"application": [APP],
                                                                          "role": [{"exists": False}]}
    targets = {t["Arn"]: t for name in (rule["Name"], told["Name"])
               for t in events.list_targets_by_rule(Rule=name)["Targets"]}
    topic = stack["outputs"]["NotificationTopicArn"]
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{APP}-job-state-change"
    assert set(targets) == {topic, function}
    assert targets[topic]["DeadLetterConfig"]["Arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{APP}-dead-letters"


def test_topic_exists_encrypted_with_the_pipeline_key(stack: dict[str, Any]) -> None:
    sns = stack["session"].client("sns")
    attributes = sns.get_topic_attributes(TopicArn=stack["outputs"]["NotificationTopicArn"])["Attributes"]
    keys = stack["session"].client("kms").list_keys()["Keys"]
    assert attributes["KmsMasterKeyId"] in {k["KeyId"] for k in keys}


def test_functions_are_configured_for_the_cloud(stack: dict[str, Any]) -> None:
    lam = stack["session"].client("lambda")
    media = lam.get_function_configuration(FunctionName=f"{APP}-media")
    frame = lam.get_function_configuration(FunctionName=f"{APP}-save-video-frame")
    assert (media["MemorySize"], media["Timeout"], frame["MemorySize"], frame["Timeout"]) == (512, 120, 3008, 30)
    env = media["Environment"]["Variables"]
    assert env["AVPIPE_WATCH_URL"] == f"s3://{WATCH}" and env["AVPIPE_PUBLIC_URL"] == f"s3://{PUBLIC}"
    assert env["DESTINATION_BUCKET"] == PUBLIC and env["APPLICATION_NAME"] == APP
    assert env["AVPIPE_BACKEND"] == "mediaconvert"
    assert env["MEDIACONVERT_ROLE_ARN"] == stack["outputs"]["MediaConvertRoleArn"]
    assert env["AVPIPE_SNS_TOPIC_ARN"] == stack["outputs"]["NotificationTopicArn"]


@pytest.mark.parametrize(("function", "source"), [("media", f"arn:aws:s3:::{WATCH}"),
                                                  ("save-video-frame", f"arn:aws:s3:::{PUBLIC}")])
def test_s3_may_invoke_only_from_its_bucket_in_this_account(stack: dict[str, Any], function: str, source: str) -> None:
    policy = json.loads(stack["session"].client("lambda").get_policy(FunctionName=f"{APP}-{function}")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == source
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == ACCOUNT


def test_mediaconvert_role_resolves_to_the_real_buckets(stack: dict[str, Any]) -> None:
    iam = stack["session"].client("iam")
    name = stack["outputs"]["MediaConvertRoleArn"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    document = _document(iam.get_role_policy(RoleName=name, PolicyName="read-inputs-write-renditions"))
    resources = {s["Sid"]: s["Resource"] for s in document["Statement"]}
    assert resources == {"ReadUploads": f"arn:aws:s3:::{WATCH}/inputs/*",
                         "WriteRenditionsToStaging": f"arn:aws:s3:::{PUBLIC}/staging/*"}


def test_pass_role_resolves_to_the_mediaconvert_role(stack: dict[str, Any]) -> None:
    iam = stack["session"].client("iam")
    role = stack["session"].client("lambda").get_function_configuration(FunctionName=f"{APP}-media")["Role"]
    document = _document(iam.get_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName="media-handler"))
    (passing,) = [s for s in document["Statement"] if s["Action"] == "iam:PassRole"]
    assert passing["Resource"] == stack["outputs"]["MediaConvertRoleArn"]


def test_log_groups_keep_logs_for_the_retention_parameter(stack: dict[str, Any]) -> None:
    groups = stack["session"].client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{APP}-")["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == [
        f"/aws/lambda/{APP}-job-state-change", f"/aws/lambda/{APP}-media", f"/aws/lambda/{APP}-save-video-frame"]
    assert {g["retentionInDays"] for g in groups} == {30}
