"""Deployment artefacts for AWS Lambda: the function zip, the pymediainfo and ffmpeg layers.

``plan`` and ``limits`` are pure (what goes where, Lambda's size limits); ``lambda_zip``
writes reproducible archives; ``layers`` builds each artefact with pip; ``build`` ties
them together for ``avpipe package``.
"""

from avpipe.packaging.build import DeployOptions, PackageReport, format_report, package_for_lambda
from avpipe.packaging.limits import ArtefactSize, Finding, Severity, check_limits
from avpipe.packaging.plan import FUNCTIONS, HANDLERS, PackagePlan, plan_package, sam_deploy_command

__all__ = [
    "FUNCTIONS",
    "HANDLERS",
    "ArtefactSize",
    "DeployOptions",
    "Finding",
    "PackagePlan",
    "PackageReport",
    "Severity",
    "check_limits",
    "format_report",
    "package_for_lambda",
    "plan_package",
    "sam_deploy_command",
]
