"""What became of one processed upload, in the words the CLI and the worker logs use.

Pure: built from the asset manifest after a run. ``avpipe process`` prints one line per
file and a table row from it; ``avpipe watch`` and ``avpipe serve`` log :meth:`Outcome.line`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from avpipe.keys import INPUTS
from avpipe.manifest.model import Manifest, Status


@dataclass(frozen=True)
class Outcome:
    name: str  # the upload's name below inputs/ (``talk.mp4``, ``course1/intro.srt``)
    kind: str  # video / audio / caption / unsupported, "-" when nothing was recorded
    outputs: tuple[str, ...]  # file names of what was made
    status: str
    reason: str | None = None  # one sentence when it did not complete
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def row(self) -> tuple[str, str, str, str]:
        return self.name, self.kind, ", ".join(self.outputs) or "-", self.status

    def line(self) -> str:
        """``talk.mp4: video -> talk_360p.mp4, talk_720p.mp4 (complete in 4.2 s)`` or the failure."""
        took = f" in {self.seconds:.1f} s" if self.seconds is not None else ""
        if self.ok:
            return f"{self.name}: {self.kind} -> {', '.join(self.outputs) or 'nothing'} ({self.status}{took})"
        return f"{self.name}: {self.status}{took}: {self.reason}"


def outcome_of(input_key: str, manifest: Manifest | None, seconds: float | None = None) -> Outcome:
    """The outcome of processing ``input_key`` given the manifest its asset has now."""
    name = input_key.removeprefix(INPUTS)
    if manifest is None:
        return Outcome(name, "-", (), "skipped", "It was not processed.", seconds)
    own = [c for c in manifest.captions if c.source == input_key]
    if manifest.kind != "caption" and own:  # a caption file attached to another asset
        entry = own[-1]
        keys = tuple(_file(c.key) for c in own if c.key)
        reason = None if entry.status == "complete" else entry.reason or "The captions were not converted."
        return Outcome(name, "caption", keys, entry.status, reason, seconds)
    outputs = [_file(o.key) for o in manifest.outputs if o.kind != "stream"]  # segments: the playlists list them
    if manifest.kind == "caption":
        outputs += [_file(c.key) for c in manifest.captions if c.key]
    if manifest.status is Status.COMPLETE:
        return Outcome(name, manifest.kind, tuple(outputs), str(manifest.status), None, seconds)
    reason = manifest.error.reason if manifest.error else f"It is still {manifest.status}."
    return Outcome(name, manifest.kind, tuple(outputs), str(manifest.status), reason, seconds)


def _file(key: str | None) -> str:
    return posixpath.basename(key or "")
