"""Decoding a media file end to end with ffmpeg: corruption that keeps the size shows up here."""

from __future__ import annotations

import logging
from collections.abc import Callable

from avpipe.errors import AvpipeError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.ffmpeg.safety import input_options
from avpipe.storage.base import Store

log = logging.getLogger(__name__)
MEDIA_SUFFIXES = (".mp4", ".m4a", ".mp3", ".mov", ".mkv", ".webm", ".wav", ".flac", ".ogg", ".aac", ".m4v")


def decode_args(source: str) -> list[str]:
    """Decode every audio and video stream of ``source`` to nothing, stopping at the first error.

    The input goes through the same protocol and demuxer allow-list as every other ffmpeg run.
    """
    return [*input_options(source), "-err_detect", "crccheck+bitstream+buffer", "-xerror", "-i", source,
            "-map", "0:v?", "-map", "0:a?", "-f", "null", "-"]


def is_media(key: str) -> bool:
    return key.lower().endswith(MEDIA_SUFFIXES)


def decoder_for(runner: FfmpegRunner, store: Store) -> Callable[[str], str | None]:
    """A check for one key of ``store``: None when it decodes cleanly, else one sentence naming it."""

    def check(key: str) -> str | None:
        try:
            with store.readable(key) as source:
                result = runner.run(decode_args(source))
        except FileNotFoundError:
            return f"{key} is missing."
        except AvpipeError as exc:
            log.debug("decoding %s failed: %s", key, exc)
            return f"{key} does not decode: its media data is damaged."
        if result.stderr_tail.strip():
            log.debug("decoding %s reported: %s", key, result.stderr_tail.strip())
            return f"{key} decodes with errors: its media data is damaged."
        return None

    return check
