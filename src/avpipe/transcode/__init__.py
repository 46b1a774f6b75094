"""Transcoder backends: the local ffmpeg one, and MediaConvert on AWS."""

from avpipe.transcode.base import Transcoder

__all__ = ["Transcoder"]
