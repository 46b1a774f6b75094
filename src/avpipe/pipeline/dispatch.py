"""Which step handles which event: the same routing as the S3 and EventBridge triggers."""

from __future__ import annotations

import logging

from avpipe.keys import INPUTS, ORIGINAL
from avpipe.manifest.model import Manifest
from avpipe.pipeline.context import PipelineContext
from avpipe.pipeline.events import Event, JobStateChange, ObjectCreated
from avpipe.pipeline.job_state_change import job_state_change
from avpipe.pipeline.media_handler import handle_upload
from avpipe.pipeline.save_video_frame import save_video_frame

log = logging.getLogger(__name__)


def dispatch(ctx: PipelineContext, event: Event) -> Manifest | None:
    if isinstance(event, JobStateChange):
        return job_state_change(ctx, event)
    if isinstance(event, ObjectCreated):
        if event.store == "watch" and event.key.startswith(INPUTS):
            return handle_upload(ctx, event)
        if event.store == "public" and event.key.startswith(ORIGINAL):
            return save_video_frame(ctx, event)
    log.debug("no step for %s", event)
    return None
