"""Pure packaging decisions: what goes where, pip arguments, limits, template paths, deploy command."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from avpipe.errors import ConfigurationError
from avpipe.packaging import ArtefactSize, Severity, check_limits, plan_package
from avpipe.packaging.build import DeployOptions, avpipe_requirements, package_for_lambda, write_packaged_template
from avpipe.packaging.lambda_zip import LambdaZip, measure
from avpipe.packaging.layers import ffmpeg_member
from avpipe.packaging.limits import MB
from avpipe.packaging.plan import (
    FUNCTIONS,
    distribution_name,
    pip_download_args,
    pip_target_args,
    platform_tags,
    retarget_template,
    sam_deploy_command,
)


def test_avpipe_requirements_are_split_between_function_and_layers() -> None:
    plan = plan_package(avpipe_requirements())
    function = [distribution_name(r) for r in plan.function_requirements]
    assert function == ["pycaption", "langcodes", "charset-normalizer"]
    assert distribution_name(plan.pymediainfo_requirement) == "pymediainfo"
    assert distribution_name(plan.ffmpeg_requirement) == "imageio-ffmpeg"


def test_runtime_provided_and_optional_requirements_are_not_shipped() -> None:
    plan = plan_package(["boto3>=1.34", 'moto>=5; extra == "test"', "Pymediainfo>=7", "imageio_ffmpeg", "starlette>=1",
                         "lxml>=5; python_version >= '3.8'"])
    assert plan.function_requirements == ("lxml>=5",)
    assert plan.pymediainfo_requirement == "Pymediainfo>=7"
    assert plan.ffmpeg_requirement == "imageio_ffmpeg"


def test_platform_tags_cover_amazon_linux_2023_down_to_manylinux2014() -> None:
    tags = platform_tags()
    assert tags[0] == "manylinux_2_34_x86_64"
    assert "manylinux_2_28_x86_64" in tags and "manylinux_2_27_x86_64" in tags  # imageio-ffmpeg, pymediainfo
    assert tags[-1] == "manylinux2014_x86_64"
    assert not any("aarch64" in tag or "2_35" in tag for tag in tags)


def test_pip_arguments_ask_for_lambda_wheels_only(tmp_path: Path) -> None:
    args = pip_target_args(tmp_path / "t", ["pycaption>=2.2"])
    assert args[:1] == ["install"] and args[-1] == "pycaption>=2.2"
    assert "--only-binary=:all:" in args and args[args.index("--python-version") + 1] == "3.12"
    assert args[args.index("--implementation") + 1] == "cp" and args[args.index("--target") + 1] == str(tmp_path / "t")
    download = pip_download_args(tmp_path, "imageio-ffmpeg>=0.5")
    assert download[0] == "download" and "--no-deps" in download
    assert download.count("--platform") == len(platform_tags())


def _sizes(function: int, pymediainfo: int, ffmpeg: int, zipped: int = MB) -> dict[str, ArtefactSize]:
    return {name: ArtefactSize(name, zipped, size * MB)
            for name, size in (("function", function), ("pymediainfo", pymediainfo), ("ffmpeg", ffmpeg))}


def test_limits_pass_for_todays_sizes() -> None:
    assert check_limits(_sizes(19, 15, 165), FUNCTIONS) == []


def test_unzipped_total_over_250_mb_is_an_error_per_function() -> None:
    findings = check_limits(_sizes(19, 15, 220), {"FrameFunction": ("pymediainfo", "ffmpeg"),
                                                  "JobStateFunction": ("pymediainfo",)})
    assert [(f.severity, f.subject) for f in findings] == [(Severity.ERROR, "FrameFunction")]
    assert "254.0 MB" in findings[0].message


def test_more_than_five_layers_is_an_error() -> None:
    sizes = {f"l{i}": ArtefactSize(f"l{i}", 1, 1) for i in range(6)} | {"function": ArtefactSize("function", 1, 1)}
    (finding,) = check_limits(sizes, {"F": tuple(f"l{i}" for i in range(6))})
    assert finding.severity is Severity.ERROR and "6 layers" in finding.message


def test_a_zip_over_50_mb_is_a_note_because_sam_uploads_through_s3() -> None:
    sizes = _sizes(19, 15, 165) | {"ffmpeg": ArtefactSize("ffmpeg", 65 * MB, 165 * MB)}
    (finding,) = check_limits(sizes, FUNCTIONS)
    assert finding.severity is Severity.NOTE and finding.subject == "ffmpeg"


def test_a_layer_that_was_not_built_is_an_error() -> None:
    (finding,) = check_limits({"function": ArtefactSize("function", 1, 1)}, {"F": ("ffmpeg",)})
    assert finding.severity is Severity.ERROR and "ffmpeg" in finding.message


def test_retarget_template_rewrites_only_artefact_paths() -> None:
    text = ("Globals:\n  Function:\n    CodeUri: dist/aws/function.zip\n"
            "  L:\n      ContentUri: dist/aws/layer-ffmpeg.zip  # comment\n      Description: dist/aws/function.zip\n")
    out = retarget_template(text, {"function.zip": "function.zip", "layer-ffmpeg.zip": "layer-ffmpeg.zip"})
    assert "    CodeUri: function.zip\n" in out
    assert "      ContentUri: layer-ffmpeg.zip  # comment\n" in out
    assert "Description: dist/aws/function.zip" in out


def test_packaged_template_points_next_to_the_artefacts(tmp_path: Path) -> None:
    template = Path(__file__).resolve().parents[2] / "template.yaml"
    packaged = write_packaged_template(template, tmp_path)
    text = packaged.read_text(encoding="utf-8")
    assert "dist/aws/" not in text
    assert text.count("CodeUri: function.zip") == 1
    assert "ContentUri: layer-pymediainfo.zip" in text and "ContentUri: layer-ffmpeg.zip" in text


def test_missing_template_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--template"):
        write_packaged_template(tmp_path / "nope.yaml", tmp_path)


def test_package_refuses_a_missing_template_before_building(tmp_path: Path) -> None:
    def no_pip(args: list[str]) -> None:
        raise AssertionError("nothing should be built")

    with pytest.raises(ConfigurationError, match="No SAM template"):
        package_for_lambda(tmp_path / "out", tmp_path / "missing.yaml", DeployOptions(), pip=no_pip)


def test_sam_deploy_command() -> None:
    command = sam_deploy_command(Path("out/template.yaml"), "media", {"ApplicationName": "lectures",
                                                                       "NotificationEmail": ""}, "eu-west-1")
    assert command[:4] == ["sam", "deploy", "--template-file", "out/template.yaml"]
    assert command[command.index("--stack-name") + 1] == "media" and "--resolve-s3" in command
    assert command[command.index("--capabilities") + 1] == "CAPABILITY_IAM"
    assert command[command.index("--region") + 1] == "eu-west-1"
    assert command[command.index("--parameter-overrides") + 1:] == ["ApplicationName=lectures"]


def test_ffmpeg_member_is_the_linux_x86_64_binary() -> None:
    names = ["imageio_ffmpeg/__init__.py", "imageio_ffmpeg/binaries/README.md",
             "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2"]
    assert ffmpeg_member(names) == "imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2"
    with pytest.raises(ConfigurationError):
        ffmpeg_member(["imageio_ffmpeg/binaries/ffmpeg-win-x86_64-v7.0.exe"])


def test_lambda_zip_is_reproducible_and_keeps_execute_bits(tmp_path: Path) -> None:
    tool = tmp_path / "tool"
    tool.write_bytes(b"#!/bin/sh\n")
    tool.chmod(0o700)
    paths = []
    for name in ("a.zip", "b.zip"):
        with LambdaZip(tmp_path / name) as archive:
            archive.add_file("bin/tool", tool)
            archive.add_stream("lib/data.txt", io.BytesIO(b"x" * 1000))
            archive.add_stream("lib/data.txt", io.BytesIO(b"ignored duplicate"))
        paths.append(tmp_path / name)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as archive:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in archive.infolist()}
        assert archive.read("lib/data.txt") == b"x" * 1000
    assert modes == {"bin/tool": 0o755, "lib/data.txt": 0o644}
    assert measure("x", paths[0]).unzipped == 1010


def test_package_with_a_fake_pip_builds_the_function_zip_without_network(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_pip(args: list[str]) -> None:
        calls.append(args)
        target = Path(args[args.index("--target") + 1])
        (target / "pycaption").mkdir(parents=True)
        (target / "pycaption" / "__init__.py").write_text("", encoding="utf-8")
        (target / "bin").mkdir()
        (target / "bin" / "script").write_text("#!/usr/bin/python\n", encoding="utf-8")

    report = package_for_lambda(tmp_path / "out", None, DeployOptions(), layers=False, pip=fake_pip,
                                requirements=["pycaption>=2.2", "pymediainfo>=6.1", "imageio-ffmpeg>=0.5"])
    assert len(calls) == 1 and calls[0][-1] == "pycaption>=2.2"
    with zipfile.ZipFile(tmp_path / "out" / "function.zip") as archive:
        names = set(archive.namelist())
    assert {"avpipe/__init__.py", "avpipe/cli.py", "pycaption/__init__.py"} <= names
    assert "avpipe/templates/job.json" in names and "bin/script" not in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert report.ok and report.command is None and set(report.sizes) == {"function"}


def test_readme_deploy_command_is_the_one_avpipe_package_prints() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").replace("\\\n    ", "")
    command = sam_deploy_command(Path("dist/aws/template.yaml"), "avpipe", {"NotificationEmail": "you@example.com"})
    assert " ".join(command) in readme
