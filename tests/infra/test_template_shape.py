"""What the template declares, read from the SAM source and the transformed CloudFormation.

moto's CloudFormation does not apply a bucket's public access block, lifecycle, CORS,
versioning or notifications, nor bucket/topic/queue policies and SNS subscriptions, so
those are asserted here on the template; test_template_deploy.py checks the rest live.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from avpipe import config
from avpipe.packaging.plan import DEFAULT_OUT, FUNCTIONS, HANDLERS, RUNTIME, ZIP_NAMES

from infra_support import resources_of_type

# The environment contract with avpipe.aws.handlers (names beyond config.py's are added there).
ENVIRONMENT = {
    "APPLICATION_NAME", "DESTINATION_BUCKET", "MEDIACONVERT_ROLE_ARN", "AVPIPE_BACKEND", "AVPIPE_WATCH_URL",
    "AVPIPE_PUBLIC_URL", "AVPIPE_MEDIACONVERT_ENDPOINT", "AVPIPE_MEDIACONVERT_QUEUE", "AVPIPE_SNS_TOPIC_ARN",
    "AVPIPE_JOB_TEMPLATE", "AVPIPE_LOG_FORMAT", "AVPIPE_FFMPEG",
}


def _functions(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in resources_of_type(cfn, "AWS::Lambda::Function").items()}


def test_functions_handlers_runtime_and_architecture(cfn_template: dict[str, Any]) -> None:
    functions = _functions(cfn_template)
    assert {name: f["Handler"] for name, f in functions.items()} == HANDLERS
    assert {f["Runtime"] for f in functions.values()} == {RUNTIME}
    assert {tuple(f["Architectures"]) for f in functions.values()} == {("x86_64",)}


def test_every_function_has_the_layers_avpipe_package_builds(sam_template: dict[str, Any]) -> None:
    layers = sam_template["Globals"]["Function"]["Layers"]
    assert layers == [{"Ref": "PyMediaInfoLayer"}, {"Ref": "FfmpegLayer"}]
    assert set(FUNCTIONS) == set(HANDLERS) and all(len(used) == 2 for used in FUNCTIONS.values())
    assert not any("Layers" in r["Properties"] for r in resources_of_type(sam_template, "AWS::Serverless::Function")
                   .values())


def test_artefact_paths_are_where_avpipe_package_writes_by_default(sam_template: dict[str, Any]) -> None:
    resources = sam_template["Resources"]
    paths = {
        sam_template["Globals"]["Function"]["CodeUri"],
        resources["PyMediaInfoLayer"]["Properties"]["ContentUri"],
        resources["FfmpegLayer"]["Properties"]["ContentUri"],
    }
    assert paths == {(DEFAULT_OUT / name).as_posix() for name in ZIP_NAMES.values()}


def test_seed_memory_and_timeouts_are_parameter_defaults(sam_template: dict[str, Any]) -> None:
    params = sam_template["Parameters"]
    defaults = {name: params[name]["Default"] for name in params if name.endswith(("Memory", "Timeout"))}
    assert defaults == {"MediaFunctionMemory": 512, "MediaFunctionTimeout": 120,
                        "FrameFunctionMemory": 3008, "FrameFunctionTimeout": 30}
    media = sam_template["Resources"]["MediaFunction"]["Properties"]
    assert (media["MemorySize"], media["Timeout"]) == ({"Ref": "MediaFunctionMemory"}, {"Ref": "MediaFunctionTimeout"})


def test_environment_contract(sam_template: dict[str, Any], cfn_template: dict[str, Any]) -> None:
    env = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(env) == ENVIRONMENT
    known = {getattr(config, n) for n in dir(config) if n.startswith("ENV_")}
    for name in ("APPLICATION_NAME", "DESTINATION_BUCKET", "MEDIACONVERT_ROLE_ARN", "AVPIPE_BACKEND",
                 "AVPIPE_WATCH_URL", "AVPIPE_PUBLIC_URL", "AVPIPE_JOB_TEMPLATE", "AVPIPE_LOG_FORMAT", "AVPIPE_FFMPEG"):
        assert name in known  # spelled the way avpipe.config reads them
    assert env["AVPIPE_FFMPEG"] == "/opt/bin/ffmpeg" and env["AVPIPE_LOG_FORMAT"] == "json"
    assert sam_template["Parameters"]["TranscodeBackend"]["Default"] == "mediaconvert"
    assert env["AVPIPE_WATCH_URL"] == {"Fn::Sub": "s3://${ApplicationName}-watch-${AWS::AccountId}-${AWS::Region}"}
    for function in _functions(cfn_template).values():
        assert set(function["Environment"]["Variables"]) == ENVIRONMENT


def test_failed_async_invocations_go_to_the_dead_letter_queue(cfn_template: dict[str, Any]) -> None:
    for function in _functions(cfn_template).values():
        assert function["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    targets = [t for rule in ("JobStateRule", "NotificationRule")
               for t in cfn_template["Resources"][rule]["Properties"]["Targets"]]
    queue = {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert len(targets) == 2 and all(t["DeadLetterConfig"] == queue for t in targets)


def test_each_function_has_a_log_group_with_retention(cfn_template: dict[str, Any]) -> None:
    groups = {g["Properties"]["LogGroupName"]["Fn::Sub"]: g["Properties"]
              for g in resources_of_type(cfn_template, "AWS::Logs::LogGroup").values()}
    names = {f["FunctionName"]["Fn::Sub"] for f in _functions(cfn_template).values()}
    assert set(groups) == {f"/aws/lambda/{name}" for name in names}
    assert all(g["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())


def test_watch_bucket_lifecycle_expires_uploads_after_a_day(cfn_template: dict[str, Any]) -> None:
    rules = cfn_template["Resources"]["WatchBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiry = next(r for r in rules if "ExpirationInDays" in r)
    assert (expiry["Prefix"], expiry["ExpirationInDays"], expiry["Status"]) == ("inputs/", 1, "Enabled")
    assert expiry["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


@pytest.mark.parametrize("bucket", ["WatchBucket", "PublicBucket"])
def test_buckets_are_encrypted_versioned_and_acl_free(cfn_template: dict[str, Any], bucket: str) -> None:
    props = cfn_template["Resources"][bucket]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True


def test_public_bucket_cors_allows_get_and_head(cfn_template: dict[str, Any]) -> None:
    (rule,) = cfn_template["Resources"]["PublicBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD"]
    assert rule["AllowedOrigins"] == {"Ref": "CorsAllowedOrigins"}


@pytest.mark.parametrize(
    ("bucket", "function", "prefix"),
    [("WatchBucket", "MediaFunction", "inputs/"), ("PublicBucket", "FrameFunction", "original/")],
)
def test_bucket_notifications(cfn_template: dict[str, Any], bucket: str, function: str, prefix: str) -> None:
    resource = cfn_template["Resources"][bucket]
    (config_,) = resource["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert config_["Event"] == "s3:ObjectCreated:*"
    assert config_["Function"] == {"Fn::GetAtt": [function, "Arn"]}
    assert config_["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": prefix}]
    assert resource["DependsOn"] == f"{function}S3Permission"  # S3 checks the permission when saving


def test_job_state_rule_pattern_and_targets(cfn_template: dict[str, Any]) -> None:
    rule = cfn_template["Resources"]["JobStateRule"]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.mediaconvert"],
        "detail-type": ["MediaConvert Job State Change"],
        "detail": {"status": ["COMPLETE", "ERROR"], "userMetadata": {"application": [{"Ref": "ApplicationName"}]}},
    }
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["JobStateFunction", "Arn"]}]
    told = cfn_template["Resources"]["NotificationRule"]["Properties"]  # previews are not notified, their ladder is
    assert told["EventPattern"]["detail"]["userMetadata"] == {"application": [{"Ref": "ApplicationName"}],
                                                              "role": [{"exists": False}]}
    assert [t["Arn"] for t in told["Targets"]] == [{"Ref": "NotificationTopic"}]


def test_topic_policy_lets_only_the_rule_publish(cfn_template: dict[str, Any]) -> None:
    props = cfn_template["Resources"]["NotificationTopicPolicy"]["Properties"]
    assert props["Topics"] == [{"Ref": "NotificationTopic"}]
    (statement,) = props["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["NotificationRule", "Arn"]}}}
    assert cfn_template["Resources"]["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "PipelineKey"}


def test_email_subscription_only_when_an_address_is_given(cfn_template: dict[str, Any]) -> None:
    subscription = cfn_template["Resources"]["NotificationEmailSubscription"]
    assert subscription["Condition"] == "HasNotificationEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert cfn_template["Conditions"]["HasNotificationEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "NotificationEmail"}, ""]}]
    }


def test_no_hard_coded_accounts_regions_or_partitions(template_text: str) -> None:
    code = "\n".join(line.split(" #")[0] for line in template_text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\b\d{12}\b", code)
    region = r"\b(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|southeast|northeast)-\d\b"
    assert not re.search(region, code)
    assert "arn:aws:" not in code and "amazonaws.com/" not in code

