"""Build the three artefacts: the function zip, the pymediainfo layer and the ffmpeg layer.

pip runs as a subprocess (an argument list, never a shell) through an injectable runner,
so the planning around it is testable without the network.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from avpipe.errors import ConfigurationError
from avpipe.packaging.lambda_zip import LambdaZip, tree_entries
from avpipe.packaging.plan import (
    ARCHITECTURE,
    FFMPEG,
    FUNCTION,
    PYMEDIAINFO,
    ZIP_NAMES,
    PackagePlan,
    pip_download_args,
    pip_target_args,
)

log = logging.getLogger(__name__)

PipRunner = Callable[[list[str]], None]

# pip --target puts console scripts in bin/ with a shebang of the building interpreter,
# useless inside Lambda; some dependencies install their own test suites as "tests".
_NOT_SHIPPED_TOP_LEVEL = ("bin/", "tests/")


def run_pip(args: list[str]) -> None:
    """Run ``python -m pip ARGS`` with the current interpreter."""
    log.info("pip %s", " ".join(args))
    try:
        subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        reason = next((line for line in reversed(detail) if line.startswith("ERROR")), detail[-1] if detail else "")
        raise ConfigurationError(
            f"pip could not fetch Lambda ({ARCHITECTURE}) wheels for {args[-1]}: {reason or 'no output'}"
        ) from exc


def build_function_zip(out: Path, plan: PackagePlan, work: Path, package_root: Path, pip: PipRunner) -> Path:
    """avpipe's own package plus the dependencies that no layer provides."""
    deps = work / "function"
    if plan.function_requirements:
        pip(pip_target_args(deps, list(plan.function_requirements)))
    path = out / ZIP_NAMES[FUNCTION]
    with LambdaZip(path) as archive:
        archive.add_tree(tree_entries(package_root, "avpipe/"))
        if deps.is_dir():
            archive.add_tree(_shipped(tree_entries(deps)))
    return path


def build_pymediainfo_layer(out: Path, plan: PackagePlan, work: Path, pip: PipRunner) -> Path:
    """pymediainfo (with the libmediainfo its wheel carries) under ``python/``."""
    target = work / PYMEDIAINFO
    pip(pip_target_args(target, [plan.pymediainfo_requirement], no_deps=True))
    if not any(target.glob("pymediainfo/libmediainfo.so*")):
        raise ConfigurationError(
            "The pymediainfo wheel for Lambda carries no libmediainfo; pin a pymediainfo release with manylinux wheels."
        )
    path = out / ZIP_NAMES[PYMEDIAINFO]
    with LambdaZip(path) as archive:
        archive.add_tree((f"python/{name}", file) for name, file in _shipped(tree_entries(target)))
    return path


def build_ffmpeg_layer(out: Path, plan: PackagePlan, work: Path, pip: PipRunner) -> Path:
    """The ffmpeg executable of the imageio-ffmpeg manylinux wheel, as ``bin/ffmpeg``."""
    wheels = work / "wheels"
    pip(pip_download_args(wheels, plan.ffmpeg_requirement))
    candidates = sorted(wheels.glob("imageio_ffmpeg-*.whl"))
    if not candidates:
        raise ConfigurationError(f"pip downloaded no imageio-ffmpeg wheel for {plan.ffmpeg_requirement}.")
    path = out / ZIP_NAMES[FFMPEG]
    with zipfile.ZipFile(candidates[-1]) as wheel:
        member = ffmpeg_member(wheel.namelist())
        with wheel.open(member) as binary, LambdaZip(path) as archive:
            archive.add_stream("bin/ffmpeg", binary, executable=True)
    return path


def ffmpeg_member(names: Iterable[str]) -> str:
    """The Linux x86_64 ffmpeg inside an imageio-ffmpeg wheel's file list."""
    found = [n for n in names if n.startswith("imageio_ffmpeg/binaries/ffmpeg-linux-x86_64") or
             n.startswith("imageio_ffmpeg/binaries/ffmpeg-linux64")]
    if not found:
        raise ConfigurationError("The imageio-ffmpeg wheel carries no Linux x86_64 ffmpeg.")
    return sorted(found)[-1]


def _shipped(entries: Iterable[tuple[str, Path]]) -> Iterable[tuple[str, Path]]:
    return ((name, path) for name, path in entries if not name.startswith(_NOT_SHIPPED_TOP_LEVEL))
