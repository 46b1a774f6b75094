"""``avpipe package``: build the artefacts, check them against Lambda's limits, say how to deploy."""

from __future__ import annotations

import importlib.metadata
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import avpipe
from avpipe.errors import ConfigurationError
from avpipe.packaging.lambda_zip import measure
from avpipe.packaging.layers import (
    PipRunner,
    build_ffmpeg_layer,
    build_function_zip,
    build_pymediainfo_layer,
    run_pip,
)
from avpipe.packaging.limits import ArtefactSize, Finding, Severity, check_limits, unzipped_total
from avpipe.packaging.plan import (
    FFMPEG,
    FUNCTION,
    FUNCTIONS,
    PYMEDIAINFO,
    ZIP_NAMES,
    format_command,
    plan_package,
    retarget_template,
    sam_deploy_command,
)


@dataclass(frozen=True)
class DeployOptions:
    stack_name: str = "avpipe"
    parameters: Mapping[str, str] = field(default_factory=dict)  # template parameter overrides
    region: str | None = None


@dataclass(frozen=True)
class PackageReport:
    out: Path
    sizes: dict[str, ArtefactSize]
    findings: list[Finding]
    template: Path | None
    command: list[str] | None

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def avpipe_requirements() -> list[str]:
    """avpipe's declared dependencies, from its installed metadata."""
    try:
        return importlib.metadata.requires("avpipe") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigurationError("avpipe is not installed as a package; run `pip install .` first.") from exc


def package_for_lambda(
    out: Path,
    template: Path | None,
    deploy: DeployOptions,
    *,
    layers: bool = True,
    pip: PipRunner = run_pip,
    requirements: list[str] | None = None,
) -> PackageReport:
    """Build ``out/function.zip`` (and the layers), copy the template next to them, check the limits."""
    if template is not None and not template.is_file():
        raise ConfigurationError(f"No SAM template at {template}: run from the avpipe checkout or pass --template.")
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_package(avpipe_requirements() if requirements is None else requirements)
    package_root = Path(avpipe.__file__).parent
    with tempfile.TemporaryDirectory(prefix="avpipe-package-") as tmp:
        work = Path(tmp)
        paths = {FUNCTION: build_function_zip(out, plan, work, package_root, pip)}
        if layers:
            paths[PYMEDIAINFO] = build_pymediainfo_layer(out, plan, work, pip)
            paths[FFMPEG] = build_ffmpeg_layer(out, plan, work, pip)
    sizes = {name: measure(name, path) for name, path in paths.items()}
    findings = check_limits(sizes, FUNCTIONS) if layers else check_limits(sizes, {})
    packaged = write_packaged_template(template, out) if template is not None else None
    command = sam_deploy_command(packaged, deploy.stack_name, deploy.parameters, deploy.region) if packaged else None
    return PackageReport(out=out, sizes=sizes, findings=findings, template=packaged, command=command)


def write_packaged_template(template: Path, out: Path) -> Path:
    """``out/template.yaml``: the template with its artefact paths pointing next to it."""
    try:
        text = template.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the SAM template {template}: run from the avpipe checkout or pass --template."
        ) from exc
    target = out / "template.yaml"
    if target.resolve() != template.resolve():
        target.write_text(retarget_template(text, {name: name for name in ZIP_NAMES.values()}), encoding="utf-8")
    return target


def format_report(report: PackageReport) -> str:
    """What was built, how it measures against the limits, and the deploy command."""
    lines = [f"{'artefact':<24}{'zipped':>10}{'unzipped':>12}"]
    for name, size in report.sizes.items():
        lines.append(f"{ZIP_NAMES[name]:<24}{_mb(size.zipped):>10}{_mb(size.unzipped):>12}")
    if set(report.sizes) >= {FUNCTION, PYMEDIAINFO, FFMPEG}:
        for function, layers in FUNCTIONS.items():
            total = unzipped_total([FUNCTION, *layers], report.sizes)
            lines.append(f"{function}: {_mb(total)} unzipped with {len(layers)} layers (limit 250 MB, 5 layers)")
    lines += [f"{finding.severity}: {finding.message}" for finding in report.findings]
    if report.command is not None:
        lines += ["", "Deploy with:", f"  {format_command(report.command)}"]
    return "\n".join(lines)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
