"""Settings of the web app: upload limits, access token, where public files are linked.

The environment variable names live in :mod:`avpipe.config` with all the others; this
model only gathers the ones ``avpipe serve`` reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from avpipe.config import (
    ENV_ALLOWED_HOSTS,
    ENV_CHUNK_SIZE,
    ENV_MAX_CONNECTIONS,
    ENV_MAX_UPLOAD,
    ENV_PRIVATE,
    ENV_PUBLIC_BASE_URL,
    ENV_SERVE_ORIGINALS,
    ENV_TOKEN,
    ENV_UPLOAD_TIMEOUT,
)
from avpipe.errors import ConfigurationError
from avpipe.keys import CAPTION_EXTENSIONS

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 2 * 1024 * MB
DEFAULT_CHUNK_SIZE = 4 * MB
DEFAULT_UPLOAD_TIMEOUT_S = 6 * 3600.0
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts",
                    ".wmv", ".flv", ".3gp", ".mxf", ".vob")
AUDIO_EXTENSIONS = (".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif", ".aiff")
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
    allowed_hosts: tuple[str, ...] = ()  # Host names answered besides the loopback ones
    private: bool = False  # reads need the token too
    serve_originals: bool = False  # original/ is downloadable (always as an attachment)
    header_timeout_s: float = 10.0  # a connection that has not sent a whole request head by then is closed
    body_timeout_s: float = 30.0  # an upload whose body stalls this long is answered 408 and dropped
    keep_alive_s: float = 5.0
    max_connections: int = 1000  # beyond this many at once: 503
    max_uploads_per_client: int = 8  # request bodies one client address sends at once (per process); more: 429

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every Host name the app answers (DNS rebinding: anything else is refused)."""
        return LOOPBACK_HOSTS + self.allowed_hosts

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
        if environ.get(ENV_ALLOWED_HOSTS):
            kwargs["allowed_hosts"] = tuple(h.strip().lower() for h in environ[ENV_ALLOWED_HOSTS].split(",")
                                            if h.strip())
        kwargs["private"] = _flag(environ.get(ENV_PRIVATE))
        kwargs["serve_originals"] = _flag(environ.get(ENV_SERVE_ORIGINALS))
        if environ.get(ENV_MAX_CONNECTIONS):
            raw = environ[ENV_MAX_CONNECTIONS].strip()
            if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
                raise ConfigurationError(f"{ENV_MAX_CONNECTIONS} must be a positive whole number.")
            kwargs["max_connections"] = int(raw)
        return cls(**kwargs)  # type: ignore[arg-type]


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")


def parse_size(name: str, text: str) -> int:
    """``"500MB"`` -> 524288000; plain numbers are bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", text.lower())
    if not match:
        raise ConfigurationError(f"{name} must be a size like 4MB or 2GB; got {text!r}.")
    return int(float(match.group(1)) * _UNITS[match.group(2)])
