"""Locate checkov, or install it once into its own virtual environment.

checkov pins boto3 and ``packaging<24`` exactly, which conflicts with pytest and the
project's boto3, so it cannot live in the test environment. It gets a venv of its own in
the user's cache folder (about 30 s and 300 MB the first time, reused afterwards).
``AVPIPE_CHECKOV`` or a ``checkov`` on ``PATH`` take precedence.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

CHECKOV_REQUIREMENT = "checkov==3.3.30"  # pinned: a newer checkov may add checks; bump deliberately


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "avpipe" / CHECKOV_REQUIREMENT.replace("==", "-")


def locate_or_install_checkov() -> str:
    explicit = os.environ.get("AVPIPE_CHECKOV") or shutil.which("checkov")
    if explicit:
        return explicit
    home = _cache_dir()
    exe = home / "bin" / "checkov"
    marker = home / ".installed"
    if marker.exists() and exe.exists():
        return str(exe)
    shutil.rmtree(home, ignore_errors=True)  # a half-built environment from an interrupted run
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    python = home / "bin" / "python"
    try:  # without network pip gives up after one short try, and the test says why
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--timeout", "20",
             "--retries", "1", CHECKOV_REQUIREMENT],
            check=True, capture_output=True, text=True, timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        said = (exc.stderr or "") if isinstance(exc.stderr, str) else ""
        raise RuntimeError(f"checkov could not be installed into {home} (it needs the package index once): "
                           f"{said.strip().splitlines()[-1] if said.strip() else exc}") from exc
    marker.write_text(CHECKOV_REQUIREMENT + "\n", encoding="utf-8")
    return str(exe)


def run_checkov(exe: str, template: Path) -> subprocess.CompletedProcess[str]:
    """``checkov -f TEMPLATE --framework cloudformation`` with JSON output, offline."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no call to the vendor's guideline API
    return subprocess.run(
        [exe, "-f", str(template), "--framework", "cloudformation", "--output", "json", "--skip-download"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


if __name__ == "__main__":  # pragma: no cover - `python tests/infra/checkov_tool.py` prints the path
    print(locate_or_install_checkov(), file=sys.stdout)
