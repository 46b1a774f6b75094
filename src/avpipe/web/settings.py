"""Settings of the web app: upload limits, access token, where public files are linked.

The environment variable names live in :mod:`avpipe.config` with all the others; this
model only gathers the ones ``avpipe serve`` reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from avpipe.config import ENV_CHUNK_SIZE, ENV_MAX_UPLOAD, ENV_PUBLIC_BASE_URL, ENV_TOKEN, ENV_UPLOAD_TIMEOUT
from avpipe.errors import ConfigurationError

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 2 * 1024 * MB
DEFAULT_CHUNK_SIZE = 4 * MB
DEFAULT_UPLOAD_TIMEOUT_S = 6 * 3600.0
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts",
                    ".wmv", ".flv", ".3gp", ".mxf", ".vob")
AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif", ".aiff")
CAPTION_EXTENSIONS = (".srt", ".vtt", ".scc", ".dfxp", ".ttml", ".xml", ".smi", ".sami")
ACCEPTED_EXTENSIONS = VIDEO_EXTENSIONS + AUDIO_EXTENSIONS + CAPTION_EXTENSIONS
_UNITS = {"": 1, "b": 1, "kb": 1024, "k": 1024, "mb": MB, "m": MB, "gb": 1024 * MB, "g": 1024 * MB}


@dataclass(frozen=True)
class WebSettings:
    """What the web app is configured with; ``token`` never shows in a repr."""

    token: str | None = field(default=None, repr=False)
    public_base_url: str | None = None  # links to public files start with this instead of /files/
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    chunk_bytes: int = DEFAULT_CHUNK_SIZE
    upload_timeout_s: float = DEFAULT_UPLOAD_TIMEOUT_S
    accepted_extensions: tuple[str, ...] = ACCEPTED_EXTENSIONS

    def __post_init__(self) -> None:
        if self.max_upload_bytes < 1 or self.chunk_bytes < 1:
            raise ConfigurationError("The upload size limit and the chunk size must be positive.")
        if self.upload_timeout_s <= 0:
            raise ConfigurationError(f"{ENV_UPLOAD_TIMEOUT} must be a positive number of seconds.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WebSettings:
        kwargs: dict[str, object] = {}
        if environ.get(ENV_TOKEN):
            kwargs["token"] = environ[ENV_TOKEN]
        if environ.get(ENV_PUBLIC_BASE_URL):
            kwargs["public_base_url"] = environ[ENV_PUBLIC_BASE_URL]
        if environ.get(ENV_MAX_UPLOAD):
            kwargs["max_upload_bytes"] = parse_size(ENV_MAX_UPLOAD, environ[ENV_MAX_UPLOAD])
        if environ.get(ENV_CHUNK_SIZE):
            kwargs["chunk_bytes"] = parse_size(ENV_CHUNK_SIZE, environ[ENV_CHUNK_SIZE])
        if environ.get(ENV_UPLOAD_TIMEOUT):
            try:
                kwargs["upload_timeout_s"] = float(environ[ENV_UPLOAD_TIMEOUT])
            except ValueError as exc:
                raise ConfigurationError(f"{ENV_UPLOAD_TIMEOUT} must be a number of seconds.") from exc
        return cls(**kwargs)  # type: ignore[arg-type]


def parse_size(name: str, text: str) -> int:
    """``"500MB"`` -> 524288000; plain numbers are bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", text.lower())
    if not match:
        raise ConfigurationError(f"{name} must be a size like 4MB or 2GB; got {text!r}.")
    return int(float(match.group(1)) * _UNITS[match.group(2)])
