"""cfn-lint finds no error in template.yaml, and checkov no failed check that is not skipped with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checkov_tool import locate_or_install_checkov, run_checkov

from infra_support import TEMPLATE

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def _cfn_lint_errors(path: Path) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, config=ManualArgs(regions=REGIONS))
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id.startswith("E")]


def test_cfn_lint_reports_no_errors() -> None:
    assert _cfn_lint_errors(TEMPLATE) == []


def test_cfn_lint_does_find_errors_in_a_broken_template(tmp_path: Path) -> None:
    """The lint step is live: a bucket with a wrong property type is reported."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        TEMPLATE.read_text(encoding="utf-8").replace("ExpirationInDays: 1", "ExpirationInDays: one-day"),
        encoding="utf-8",
    )
    assert any("one-day" in error for error in _cfn_lint_errors(broken))


@pytest.fixture(scope="module")
def checkov_results() -> dict[str, Any]:
    result = run_checkov(locate_or_install_checkov(), TEMPLATE)
    assert result.stdout.strip(), f"checkov printed nothing; stderr: {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    assert isinstance(report, dict), "one framework was asked for, so one report is expected"
    return report


def test_checkov_has_no_failed_checks(checkov_results: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in checkov_results["results"]["failed_checks"]
    ]
    assert failed == []
    assert checkov_results["summary"]["passed"] > 50  # it really looked at the resources


def test_every_checkov_skip_has_a_written_reason(checkov_results: dict[str, Any], sam_template: dict[str, Any]) -> None:
    skipped = checkov_results["results"]["skipped_checks"]
    assert skipped, "the template skips a few checks on purpose (public delivery bucket, no VPC)"
    assert all(len((c["check_result"].get("suppress_comment") or "").strip()) >= 20 for c in skipped)
    declared = {
        (name, skip["id"])
        for name, resource in sam_template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    assert {(c["resource"].split(".")[-1], c["check_id"]) for c in skipped} == declared


def test_the_watch_bucket_skips_no_public_access_check(sam_template: dict[str, Any]) -> None:
    skips = sam_template["Resources"]["WatchBucket"]["Metadata"]["checkov"]["skip"]
    assert {s["id"] for s in skips} == {"CKV_AWS_18"}  # only access logging; never a public-access check
