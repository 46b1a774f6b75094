"""What goes into which deployment artefact, and the commands to build and deploy them (pure).

Three artefacts for the Lambda Python 3.12 runtime on x86_64 (Amazon Linux 2023):

- ``function.zip``: avpipe itself and the dependencies that are neither in a layer nor in
  the runtime (pycaption and what it needs), from the registry's manylinux wheels;
- ``layer-pymediainfo.zip``: pymediainfo under ``python/`` (its manylinux wheel carries
  libmediainfo);
- ``layer-ffmpeg.zip``: ``bin/ffmpeg`` (mounted at ``/opt/bin/ffmpeg``) taken from the
  imageio-ffmpeg manylinux wheel.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PYTHON_VERSION = "3.12"
RUNTIME = "python3.12"
ARCHITECTURE = "x86_64"
# Amazon Linux 2023 (the python3.12 runtime) has glibc 2.34; the registry's pymediainfo and
# imageio-ffmpeg wheels are tagged manylinux_2_27 / manylinux_2_28, so plain manylinux2014
# (glibc 2.17) would find no wheel for them.
RUNTIME_GLIBC = (2, 34)
OLDEST_GLIBC = (2, 17)

FUNCTION = "function"
PYMEDIAINFO = "pymediainfo"
FFMPEG = "ffmpeg"
ZIP_NAMES = {FUNCTION: "function.zip", PYMEDIAINFO: "layer-pymediainfo.zip", FFMPEG: "layer-ffmpeg.zip"}
# Where template.yaml expects the artefacts when `avpipe package` runs with its default --out.
DEFAULT_OUT = Path("dist/aws")

# Distributions the runtime already has, or that a layer provides instead.
PROVIDED = {"boto3": "runtime", "botocore": "runtime", "pymediainfo": PYMEDIAINFO, "imageio-ffmpeg": FFMPEG}
# Dependencies of the local-only parts (the web app, terminal progress): never shipped to Lambda.
LOCAL_ONLY = frozenset({"starlette", "uvicorn", "python-multipart", "rich"})

# The functions in template.yaml and the layers each one uses (all of them: the handlers
# share one package, and a missing ffmpeg must never be the reason a handler fails to start).
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "MediaFunction": (PYMEDIAINFO, FFMPEG),
    "FrameFunction": (PYMEDIAINFO, FFMPEG),
    "JobStateFunction": (PYMEDIAINFO, FFMPEG),
}
HANDLERS = {
    "MediaFunction": "avpipe.aws.handlers.media_lambda_handler",
    "FrameFunction": "avpipe.aws.handlers.save_video_frame",
    "JobStateFunction": "avpipe.aws.handlers.job_state_change",
}


@dataclass(frozen=True)
class PackagePlan:
    """Which requirement goes where."""

    function_requirements: tuple[str, ...]
    pymediainfo_requirement: str
    ffmpeg_requirement: str


def distribution_name(requirement: str) -> str:
    """``"pycaption>=2.2; python_version>'3'"`` -> ``"pycaption"`` (normalised, PEP 503)."""
    name = re.split(r"[\s<>=!~;\[(@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


_EXTRA_MARKER = re.compile(r"\bextra\s*==")


def plan_package(requirements: Iterable[str]) -> PackagePlan:
    """Split avpipe's own requirements (no extras) between the function zip and the layers."""
    function: list[str] = []
    found: dict[str, str] = {}
    for requirement in requirements:
        if _EXTRA_MARKER.search(requirement):
            continue  # optional extras ([aws], [test]) are not shipped
        name = distribution_name(requirement)
        if name in LOCAL_ONLY:
            continue
        home = PROVIDED.get(name)
        if home is None:
            function.append(requirement.split(";")[0].strip())
        elif home != "runtime":
            found[home] = requirement.split(";")[0].strip()
    return PackagePlan(
        function_requirements=tuple(function),
        pymediainfo_requirement=found.get(PYMEDIAINFO, "pymediainfo"),
        ffmpeg_requirement=found.get(FFMPEG, "imageio-ffmpeg"),
    )


def platform_tags(newest: tuple[int, int] = RUNTIME_GLIBC, oldest: tuple[int, int] = OLDEST_GLIBC) -> list[str]:
    """Every manylinux tag a Lambda x86_64 host can run, newest first (pip does not expand them)."""
    major = newest[0]
    tags = [f"manylinux_{major}_{minor}_{ARCHITECTURE}" for minor in range(newest[1], oldest[1] - 1, -1)]
    return [*tags, f"manylinux2014_{ARCHITECTURE}"]


def pip_target_args(target: Path, requirements: Sequence[str], *, no_deps: bool = False) -> list[str]:
    """``pip install`` arguments that fetch wheels for the Lambda runtime into ``target``."""
    args = ["install", "--quiet", "--disable-pip-version-check", "--no-compile", "--target", str(target)]
    for tag in platform_tags():
        args += ["--platform", tag]
    args += ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]
    args += ["--upgrade"]
    if no_deps:
        args.append("--no-deps")
    return [*args, *requirements]


def pip_download_args(dest: Path, requirement: str) -> list[str]:
    """``pip download`` arguments that fetch one manylinux wheel (no dependencies) into ``dest``."""
    args = ["download", "--quiet", "--disable-pip-version-check", "--no-deps", "--dest", str(dest)]
    for tag in platform_tags():
        args += ["--platform", tag]
    return [*args, "--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION, requirement]


_ARTEFACT_LINE = re.compile(r"^(?P<lead>\s*(?:CodeUri|ContentUri):\s*)(?P<path>[^\s#]+)(?P<rest>.*)$")


def retarget_template(text: str, locations: Mapping[str, str]) -> str:
    """Point the template's ``CodeUri``/``ContentUri`` at new paths, keyed by zip file name."""
    lines = []
    for line in text.splitlines(keepends=True):
        match = _ARTEFACT_LINE.match(line.rstrip("\n"))
        if match and Path(match["path"]).name in locations:
            newline = "\n" if line.endswith("\n") else ""
            line = f"{match['lead']}{locations[Path(match['path']).name]}{match['rest']}{newline}"
        lines.append(line)
    return "".join(lines)


def sam_deploy_command(
    template: Path,
    stack_name: str,
    parameters: Mapping[str, str],
    region: str | None = None,
) -> list[str]:
    """The ``sam deploy`` command for a packaged template, as an argument list."""
    command = ["sam", "deploy", "--template-file", str(template), "--stack-name", stack_name, "--resolve-s3"]
    command += ["--capabilities", "CAPABILITY_IAM"]
    if region:
        command += ["--region", region]
    overrides = [f"{key}={value}" for key, value in parameters.items() if value != ""]
    if overrides:
        command += ["--parameter-overrides", *overrides]
    return command


def format_command(command: Sequence[str]) -> str:
    return shlex.join(command)
