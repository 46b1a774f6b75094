"""A headless Chromium for the browser tests: the distribution's build, installed when missing.

Playwright's own browser download cannot be used here, so the tests drive Debian's
``chromium`` package through Playwright's ``executable_path``. On a fresh machine (CI
runs as root) the package is installed with apt-get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def ensure_chromium() -> Path | None:
    """The Chromium binary, installed with apt-get when absent and we are root; None if unavailable."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quick = ["-o", "Acquire::http::Timeout=20", "-o", "Acquire::https::Timeout=20", "-o", "Acquire::Retries=0"]
    try:  # without network apt gives up after one short try per mirror; the tests then skip, saying why
        subprocess.run([apt, *quick, "update", "-q"], check=False, env=env, capture_output=True,  # noqa: S603
                       timeout=180)
        subprocess.run([apt, *quick, "install", "-y", "-q", "chromium"], check=False, env=env,  # noqa: S603
                       capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None
    return CHROMIUM if CHROMIUM.exists() else None
