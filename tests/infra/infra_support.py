"""Shared helpers of the infrastructure tests: the SAM template, its transform to CloudFormation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ARTEFACT_BUCKET = "avpipe-artefacts"
REGION = "eu-west-1"
# What `sam deploy` does before CloudFormation sees the template: local artefact paths
# become S3 locations.
ARTEFACT_KEYS = {"function.zip": "function.zip", "layer-pymediainfo.zip": "pymediainfo.zip",
                 "layer-ffmpeg.zip": "ffmpeg.zip"}


def load_sam_template(text: str) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    parsed: dict[str, Any] = yaml_parse(text)
    return parsed


def with_uploaded_artefacts(sam: dict[str, Any]) -> dict[str, Any]:
    """A copy whose CodeUri/ContentUri point at ARTEFACT_BUCKET, as after `sam package`."""
    sam = copy.deepcopy(sam)
    holders = [sam["Globals"]["Function"]] + [r["Properties"] for r in sam["Resources"].values()]
    for props in holders:
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://{ARTEFACT_BUCKET}/{ARTEFACT_KEYS[Path(props[key]).name]}"
    return sam


def transform(sam: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The SAM transform, offline: the template names no managed policies, so IAM is never asked."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    translator = Translator(None, Parser(), boto_session=session)
    result: dict[str, Any] = translator.translate(
        with_uploaded_artefacts(sam), parameter_values=dict(parameters or {}), get_managed_policy_map=dict
    )
    return result


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}
