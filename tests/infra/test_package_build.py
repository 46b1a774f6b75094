"""`avpipe package` for real: pip fetches the Lambda wheels (through the configured index)."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from avpipe.cli import main

from infra_support import TEMPLATE

PIP_QUICK_FAILURE = {"PIP_DEFAULT_TIMEOUT": "20", "PIP_RETRIES": "1"}


def _python312() -> str | None:
    """A working Python 3.12 to import the built function with, if this machine has one."""
    candidates = [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))]
    candidates += [found for found in [shutil.which("python3.12")] if found]
    for candidate in candidates:
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 12)":
            return candidate
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("package") / "aws"
    printed, errors = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        # without network pip gives up after one short try per wheel instead of minutes of retries
        for name, value in PIP_QUICK_FAILURE.items():
            patch.setenv(name, os.environ.get(name, value))
        code = main(["package", "--out", str(out), "--template", str(TEMPLATE), "--email", "ops@example.com",
                     "--stack-name", "media"])
    assert code == 0, f"avpipe package fetches the Lambda wheels from the package index: {errors.getvalue()}"
    return out, printed.getvalue()


def test_prints_sizes_and_the_deploy_command(built: tuple[Path, str]) -> None:
    out, printed = built
    assert "function.zip" in printed and "layer-ffmpeg.zip" in printed
    assert "MediaFunction:" in printed and "limit 250 MB" in printed
    command = next(line.strip() for line in printed.splitlines() if line.strip().startswith("sam deploy"))
    assert f"--template-file {out / 'template.yaml'}" in command and "--stack-name media" in command
    assert command.endswith("--parameter-overrides NotificationEmail=ops@example.com")
    assert (out / "template.yaml").read_text(encoding="utf-8").count("CodeUri: function.zip") == 1


def test_function_zip_has_avpipe_and_pycaption_for_cpython_312(built: tuple[Path, str]) -> None:
    with zipfile.ZipFile(built[0] / "function.zip") as archive:
        names = archive.namelist()
    assert "avpipe/pipeline/dispatch.py" in names and "avpipe/templates/job.json" in names
    assert "pycaption/__init__.py" in names
    extensions = [n for n in names if n.startswith("lxml/") and n.endswith(".so")]
    assert extensions and all("cpython-312-x86_64-linux-gnu" in n for n in extensions)
    assert not any(n.startswith(("pymediainfo/", "imageio_ffmpeg/", "boto3/", "bin/")) for n in names)


def test_pymediainfo_layer_carries_libmediainfo(built: tuple[Path, str]) -> None:
    with zipfile.ZipFile(built[0] / "layer-pymediainfo.zip") as archive:
        names = archive.namelist()
    assert "python/pymediainfo/__init__.py" in names
    assert any(n.startswith("python/pymediainfo/libmediainfo.so") for n in names)


def test_ffmpeg_layer_is_an_executable_ffmpeg(built: tuple[Path, str], tmp_path: Path) -> None:
    with zipfile.ZipFile(built[0] / "layer-ffmpeg.zip") as archive:
        (info,) = archive.infolist()
        assert info.filename == "bin/ffmpeg" and stat.S_IMODE(info.external_attr >> 16) == 0o755
        if platform.system() != "Linux" or platform.machine() != "x86_64":
            return  # the binary is for Lambda's Linux x86_64; the layout above is what matters here
        ffmpeg = Path(archive.extract(info, tmp_path))
    ffmpeg.chmod(0o755)
    result = subprocess.run([str(ffmpeg), "-hide_banner", "-version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("ffmpeg version")


def test_function_and_layers_import_together_on_python_312(built: tuple[Path, str], tmp_path: Path) -> None:
    """Lambda's layout: code in /var/task, layers in /opt (python/ on sys.path)."""
    python = _python312()
    if python is None or platform.machine() != "x86_64":
        pytest.skip("needs a CPython 3.12 on x86_64 to import the cp312 wheels")
    task, opt = tmp_path / "task", tmp_path / "opt"
    for name, target in (("function.zip", task), ("layer-pymediainfo.zip", opt)):
        with zipfile.ZipFile(built[0] / name) as archive:
            archive.extractall(target)
    code = ("import sys; sys.path[:0] = sys.argv[1:]\n"
            "import avpipe.pipeline.dispatch, avpipe.captions, lxml.etree\n"
            "from pymediainfo import MediaInfo\n"
            "print(MediaInfo.can_parse())")
    result = subprocess.run([python, "-I", "-c", code, str(task), str(opt / "python")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "True"  # libmediainfo from the layer loads
