"""Fixtures for the infrastructure tests: the SAM template, raw and transformed to CloudFormation."""

from __future__ import annotations

from typing import Any

import pytest

from infra_support import TEMPLATE, load_sam_template, transform


@pytest.fixture(scope="session")
def template_text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sam_template(template_text: str) -> dict[str, Any]:
    return load_sam_template(template_text)


@pytest.fixture(scope="session")
def cfn_template(sam_template: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform."""
    return transform(sam_template)
