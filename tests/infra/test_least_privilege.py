"""Least privilege, checked over every policy in the template as CloudFormation receives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra_support import resources_of_type

Statement = dict[str, Any]

POLICY_PROPERTIES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def role_statements(template: dict[str, Any]) -> Iterator[tuple[str, Statement]]:
    """(role, statement) for every statement of every inline policy of every role."""
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield name, statement


def all_statements(template: dict[str, Any]) -> Iterator[tuple[str, Statement]]:
    yield from role_statements(template)
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            yield name, statement
    for name, resource in template["Resources"].items():
        prop = POLICY_PROPERTIES.get(resource["Type"])
        if prop:
            for statement in resource["Properties"][prop]["Statement"]:
                yield name, statement


def allows(template: dict[str, Any]) -> list[tuple[str, Statement]]:
    return [(n, s) for n, s in all_statements(template) if s["Effect"] == "Allow"]


def test_no_allow_grants_a_wildcard_action(cfn_template: dict[str, Any]) -> None:
    assert len(allows(cfn_template)) > 20
    for name, statement in allows(cfn_template):
        assert "NotAction" not in statement, name
        for action in _listed(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{name}: {action}"


def test_roles_use_resource_star_only_for_describe_endpoints(cfn_template: dict[str, Any]) -> None:
    starred = {
        action
        for _, statement in role_statements(cfn_template)
        if "*" in _listed(statement["Resource"])
        for action in _listed(statement["Action"])
    }
    assert starred == {"mediaconvert:DescribeEndpoints"}  # it has no resource-level permissions


def test_pass_role_only_for_the_mediaconvert_role(cfn_template: dict[str, Any]) -> None:
    passing = [(n, s) for n, s in all_statements(cfn_template) if "iam:PassRole" in _listed(s["Action"])]
    # the upload handler starts jobs; the job-state handler restarts them after transient failures
    assert [n for n, _ in passing] == ["MediaFunctionRole", "JobStateFunctionRole"]
    for _, statement in passing:
        assert statement["Resource"] == {"Fn::GetAtt": ["MediaConvertRole", "Arn"]}
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}}


def test_mediaconvert_role_is_trusted_only_by_mediaconvert_from_this_account(cfn_template: dict[str, Any]) -> None:
    role = cfn_template["Resources"]["MediaConvertRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "mediaconvert.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = _text(trust["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":mediaconvert:${AWS::Region}:${AWS::AccountId}:" in source_arn


def test_mediaconvert_role_reads_inputs_and_writes_renditions_only(cfn_template: dict[str, Any]) -> None:
    grants = {
        (action, _text(resource))
        for name, statement in role_statements(cfn_template)
        if name == "MediaConvertRole"
        for action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    }
    reads = {r for a, r in grants if a == "s3:GetObject"}
    writes = {r for a, r in grants if a == "s3:PutObject"}
    assert len(reads) == 1 and "-watch-" in next(iter(reads)) and "/inputs/*" in next(iter(reads))
    assert len(writes) == 1 and "-public-" in next(iter(writes)) and "/staging/*" in next(iter(writes))
    assert {a for a, _ in grants} == {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}


def test_lambda_trust_is_limited_to_this_account(cfn_template: dict[str, Any]) -> None:
    for name in ("MediaFunctionRole", "FrameFunctionRole", "JobStateFunctionRole"):
        (trust,) = cfn_template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


@pytest.mark.parametrize("service", ["s3.amazonaws.com", "events.amazonaws.com"])
def test_invoke_permissions_name_their_source(cfn_template: dict[str, Any], service: str) -> None:
    permissions = [
        p["Properties"]
        for p in resources_of_type(cfn_template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == service
    ]
    assert permissions
    for permission in permissions:
        assert permission["SourceArn"]
        if service == "s3.amazonaws.com":  # bucket ARNs carry no account id
            assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_every_service_principal_in_a_resource_policy_is_conditioned(cfn_template: dict[str, Any]) -> None:
    for name, statement in allows(cfn_template):
        principal = statement.get("Principal", {})
        if name.endswith("Role") or not isinstance(principal, dict) or "Service" not in principal:
            continue
        condition_keys = {k for block in statement.get("Condition", {}).values() for k in block}
        assert condition_keys & {"aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:aws:logs:arn"}, name


def test_watch_bucket_is_never_public(cfn_template: dict[str, Any]) -> None:
    bucket = cfn_template["Resources"]["WatchBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert "AccessControl" not in bucket
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = cfn_template["Resources"]["WatchBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Effect"] for s in policy} == {"Deny"}
    for name, statement in allows(cfn_template):
        if statement.get("Principal") in ("*", {"AWS": "*"}):
            assert "-watch-" not in _text(statement["Resource"]) and "WatchBucket" not in _text(statement), name


def test_public_read_covers_only_the_delivery_prefixes(cfn_template: dict[str, Any]) -> None:
    policy = cfn_template["Resources"]["PublicBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (public,) = [s for s in policy if s["Effect"] == "Allow"]
    assert public["Principal"] == "*" and public["Action"] == "s3:GetObject"
    prefixes = sorted(_text(r).split("}/")[1].split("/")[0] for r in public["Resource"])
    assert prefixes == ["audiovideo", "closed-caption", "json", "thumbnail"]  # original/ stays private


@pytest.mark.parametrize("policy", ["WatchBucketPolicy", "PublicBucketPolicy"])
def test_buckets_refuse_plain_http(cfn_template: dict[str, Any], policy: str) -> None:
    statements = cfn_template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_nothing_is_ever_written_under_the_watch_buckets_inputs(cfn_template: dict[str, Any]) -> None:
    """Only claims/ (exactly-once bookkeeping, outside the notification prefix) is writable there."""
    writes = {"s3:PutObject", "s3:AbortMultipartUpload", "s3:RestoreObject", "s3:PutObjectAcl"}
    for name, statement in role_statements(cfn_template):
        if writes & set(_listed(statement["Action"])):
            for resource in _listed(statement["Resource"]):
                if "-watch-" in _text(resource):
                    assert "/claims/*" in _text(resource), name


def test_the_frame_function_cannot_retrigger_itself(cfn_template: dict[str, Any]) -> None:
    written = [
        _text(r)
        for name, s in role_statements(cfn_template)
        if name == "FrameFunctionRole" and "s3:PutObject" in _listed(s["Action"])
        for r in _listed(s["Resource"])
    ]
    assert written and not any("/original/" in r for r in written)
