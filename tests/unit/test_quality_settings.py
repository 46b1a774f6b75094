"""The opt-in VMAF setting and the cache folder come from the environment mapping passed in."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.config import Settings, cache_dir


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False), ("no", False)])
def test_avpipe_quality_turns_the_measurement_on(value: str, on: bool) -> None:
    assert Settings.from_env({"AVPIPE_QUALITY": value}).measure_quality is on
    assert Settings.from_env({}).measure_quality is False


def test_the_cache_folder_follows_avpipe_cache_dir_then_xdg_then_home() -> None:
    assert cache_dir({"AVPIPE_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/avpipe")
    assert cache_dir({}) == Path.home() / ".cache" / "avpipe"
