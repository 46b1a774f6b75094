"""The watch loop's quiet period is configurable and checked like every other setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from avpipe.config import ENV_WATCH_QUIET_S, ENV_WATCH_STABLE_POLLS, Settings
from avpipe.errors import ConfigurationError
from avpipe.watch import Watcher


def test_defaults_are_a_few_seconds_and_several_polls() -> None:
    settings = Settings()
    assert settings.watch_quiet_s == 5.0 and settings.watch_stable_polls == 3


def test_the_environment_sets_them_and_the_watcher_uses_them(tmp_path: Path) -> None:
    settings = Settings.from_env({ENV_WATCH_QUIET_S: "0.5", ENV_WATCH_STABLE_POLLS: "4"})
    assert (settings.watch_quiet_s, settings.watch_stable_polls) == (0.5, 4)
    from avpipe.storage import LocalStore

    watcher = Watcher.from_settings(LocalStore(tmp_path), print, settings)
    try:
        assert (watcher.quiet_s, watcher.stable_polls) == (0.5, 4)
    finally:
        watcher.pool.shutdown()


@pytest.mark.parametrize("env", [{ENV_WATCH_QUIET_S: "-1"}, {ENV_WATCH_STABLE_POLLS: "0"}, {ENV_WATCH_QUIET_S: "soon"}])
def test_bad_values_are_configuration_errors_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="AVPIPE_WATCH_"):
        Settings.from_env(env)
