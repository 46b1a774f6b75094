"""``avpipe plan``: what processing a local file would produce, without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from avpipe.analysis.detail import with_detail
from avpipe.analysis.guard import screen_head
from avpipe.analysis.streams import verify_streams
from avpipe.errors import BadInputError
from avpipe.keys import INPUTS, AssetKeys
from avpipe.planning.asset import AssetPlan

if TYPE_CHECKING:
    from avpipe.pipeline.local_runtime import LocalRuntime


def plan_file(runtime: LocalRuntime, path: Path) -> AssetPlan:
    """The plan for ``path`` as if it had been uploaded to ``inputs/<its name>``."""
    from avpipe.pipeline.caption_upload import SNIFF_BYTES
    from avpipe.pipeline.media_handler import plan_for

    if not path.is_file():
        raise BadInputError(f"{path} does not exist.")
    keys = AssetKeys.for_input(INPUTS + path.name)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    screen_head(head)
    facts = verify_streams(runtime.runner, str(path), runtime.probe(str(path)))
    facts = with_detail(runtime.runner, str(path), facts, runtime.settings.detail_rungs)
    ctx = runtime.context(lambda _event: None)
    return plan_for(ctx, keys, facts, lambda: head, read_store=False)
