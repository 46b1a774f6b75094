"""Loading MediaConvert job templates (``job.json``), the packaged ones or a user's own."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from avpipe.errors import ConfigurationError

RUNG_MODIFIER = re.compile(r"^_(\d+)p$")
FILE_GROUP = "FILE_GROUP_SETTINGS"
CMAF_GROUP = "CMAF_GROUP_SETTINGS"


@dataclass(frozen=True)
class JobTemplate:
    """A parsed job template: ``Settings`` plus optional top-level CreateJob members."""

    source: str  # where it was read from, for messages
    body: dict[str, Any]

    @property
    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self.body["Settings"]
        return settings

    def fresh(self) -> dict[str, Any]:
        """A deep copy of the body, to modify in memory for one source."""
        return copy.deepcopy(self.body)

    def rung_outputs(self) -> dict[int, dict[str, Any]]:
        """The template's ladder outputs keyed by rung (from their ``_<R>p`` name modifiers)."""
        rungs: dict[int, dict[str, Any]] = {}
        for output in self.settings["OutputGroups"][0]["Outputs"]:
            match = RUNG_MODIFIER.match(output.get("NameModifier", ""))
            if match is None:
                raise ConfigurationError(
                    f"Job template {self.source}: every output needs a NameModifier like '_720p'; "
                    f"found {output.get('NameModifier')!r}."
                )
            rungs[int(match.group(1))] = output
        return rungs

    def stream_group(self) -> dict[str, Any] | None:
        """The optional CMAF output group (HLS + DASH from one set of segments), if the template has one."""
        return stream_group(self.settings)


def stream_group(settings: dict[str, Any]) -> dict[str, Any] | None:
    """The CMAF output group of job settings, or None for an MP4-only job."""
    for group in settings["OutputGroups"][1:]:
        if group.get("OutputGroupSettings", {}).get("Type") == CMAF_GROUP:
            found: dict[str, Any] = group
            return found
    return None


def load_template(path: Path | None, packaged_name: str) -> JobTemplate:
    """Read a template from ``path`` or, when None, the one shipped in ``avpipe/templates``."""
    if path is None:
        text = resources.files("avpipe.templates").joinpath(packaged_name).read_text(encoding="utf-8")
        source = f"(packaged) {packaged_name}"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"Job template {path} cannot be read: {exc.strerror}.") from exc
        source = str(path)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"Job template {source} is not valid JSON: {exc.msg} at line {exc.lineno}.") from exc
    _check_shape(body, source)
    return JobTemplate(source=source, body=body)


def _check_shape(body: Any, source: str) -> None:
    """The structure avpipe modifies must be there: one input, one file group with outputs first,
    and optionally one CMAF group (the streaming outputs) after it."""
    message = (f"Job template {source} must hold Settings with one input, one FILE_GROUP_SETTINGS output "
               "group and optionally one CMAF_GROUP_SETTINGS group after it.")
    try:
        settings = body["Settings"]
        inputs, groups = settings["Inputs"], settings["OutputGroups"]
        types = [group["OutputGroupSettings"]["Type"] for group in groups]
        ok = len(inputs) == 1 and types in ([FILE_GROUP], [FILE_GROUP, CMAF_GROUP])
        ok = ok and all(bool(group["Outputs"]) for group in groups)
    except (KeyError, TypeError, IndexError) as exc:
        raise ConfigurationError(message) from exc
    if not ok:
        raise ConfigurationError(message)
