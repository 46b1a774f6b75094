"""All configuration in one place: environment variable names and the Settings model.

An explicit argument beats the environment; the environment is read from a mapping that
callers pass in (``Settings.from_env(os.environ)`` at the entry points, a dict in tests).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from avpipe.errors import ConfigurationError

# --- environment variable names (the only place they are spelled) -------------------
ENV_DATA = "AVPIPE_DATA"
ENV_WATCH_URL = "AVPIPE_WATCH_URL"
ENV_PUBLIC_URL = "AVPIPE_PUBLIC_URL"
ENV_FFMPEG = "AVPIPE_FFMPEG"
ENV_BACKEND = "AVPIPE_BACKEND"
ENV_JOB_TEMPLATE = "AVPIPE_JOB_TEMPLATE"
ENV_AUDIO_JOB_TEMPLATE = "AVPIPE_AUDIO_JOB_TEMPLATE"
ENV_RUNGS = "AVPIPE_RUNGS"
ENV_THUMBNAIL_SECONDS = "AVPIPE_THUMBNAIL_SECONDS"
ENV_WORKERS = "AVPIPE_WORKERS"
ENV_LOG_FORMAT = "AVPIPE_LOG_FORMAT"
ENV_FFMPEG_THREADS = "AVPIPE_FFMPEG_THREADS"
ENV_MAX_DURATION_S = "AVPIPE_MAX_DURATION_S"
ENV_MAX_DIMENSION = "AVPIPE_MAX_DIMENSION"
ENV_MAX_FRAME_RATE = "AVPIPE_MAX_FRAME_RATE"
ENV_MAX_INPUT_BYTES = "AVPIPE_MAX_INPUT_BYTES"
ENV_TRANSIENT_RETRIES = "AVPIPE_TRANSIENT_RETRIES"
ENV_CLAIM_TTL_S = "AVPIPE_CLAIM_TTL_S"
ENV_CAPTION_TIMEOUT_S = "AVPIPE_CAPTION_TIMEOUT_S"  # seconds one caption conversion may take
ENV_WATCH_QUIET_S = "AVPIPE_WATCH_QUIET_S"  # seconds a watched file must stay unchanged before it is taken
ENV_WATCH_STABLE_POLLS = "AVPIPE_WATCH_STABLE_POLLS"  # polls that must see it unchanged, too
ENV_QUALITY = "AVPIPE_QUALITY"  # "1": measure VMAF of the renditions after each local job (avpipe.quality)
ENV_PREVIEW = "AVPIPE_PREVIEW"  # "0": no preview before the ladder (planning/preview.py)
ENV_DETAIL_PROBE = "AVPIPE_DETAIL_PROBE"  # "0": skip the upscale check before planning (every rung is made)
ENV_CACHE_DIR = "AVPIPE_CACHE_DIR"  # where the encode-speed calibration is kept (default ~/.cache/avpipe)
# the web app (avpipe serve); read by avpipe.web.settings.WebSettings
ENV_TOKEN = "AVPIPE_TOKEN"  # when set, uploads and retries need it
ENV_PUBLIC_BASE_URL = "AVPIPE_PUBLIC_BASE_URL"  # e.g. https://cdn.example.com/ for links to public files
ENV_MAX_UPLOAD = "AVPIPE_MAX_UPLOAD"  # bytes, or with a unit: 2GB, 500MB
ENV_CHUNK_SIZE = "AVPIPE_CHUNK_SIZE"  # upload chunk size the page uses: 4MB
ENV_UPLOAD_TIMEOUT = "AVPIPE_UPLOAD_TIMEOUT"  # seconds after which an unfinished upload is removed
ENV_ALLOWED_HOSTS = "AVPIPE_ALLOWED_HOSTS"  # Host names the web app answers besides loopback ones (comma-separated)
ENV_PRIVATE = "AVPIPE_PRIVATE"  # 1: reads (library, files) need the token too
ENV_SERVE_ORIGINALS = "AVPIPE_SERVE_ORIGINALS"  # 1: original/ uploads are downloadable (as attachments)
ENV_MAX_CONNECTIONS = "AVPIPE_MAX_CONNECTIONS"  # concurrent connections before the web app answers 503
# the seed's Lambda variables
ENV_APPLICATION_NAME = "APPLICATION_NAME"
ENV_DESTINATION_BUCKET = "DESTINATION_BUCKET"
ENV_MEDIACONVERT_ROLE_ARN = "MEDIACONVERT_ROLE_ARN"
# AWS runtime (Lambda) additions
ENV_WATCH_BUCKET = "WATCH_BUCKET"  # like DESTINATION_BUCKET, for the watch store (job_state_change needs it)
ENV_MEDIACONVERT_ENDPOINT = "AVPIPE_MEDIACONVERT_ENDPOINT"  # optional; default: the regional endpoint
ENV_MEDIACONVERT_QUEUE = "AVPIPE_MEDIACONVERT_QUEUE"  # optional queue ARN; default: the account's Default queue
ENV_SNS_TOPIC_ARN = "AVPIPE_SNS_TOPIC_ARN"  # optional: publish job COMPLETE/ERROR events here
ENV_WEBHOOK_URL = "AVPIPE_WEBHOOK_URL"  # optional: POST job COMPLETE/ERROR events here
ENV_WEBHOOK_SECRET = "AVPIPE_WEBHOOK_SECRET"  # key of the webhook's HMAC-SHA256 signature
ENV_AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"  # botocore's name: any S3-compatible (or moto) server

DEFAULT_DATA_DIR = "avpipe-data"
DEFAULT_RUNGS: tuple[int, ...] = (360, 480, 720, 1080)
AVAILABLE_RUNGS: tuple[int, ...] = (360, 480, 720, 1080, 1440, 2160)
DEFAULT_THUMBNAIL_SECONDS = 7.0
DEFAULT_APPLICATION_NAME = "avpipe"
DEFAULT_WATCH_QUIET_S = 5.0
DEFAULT_WATCH_STABLE_POLLS = 3
# Shown in plans when no role is configured; a real deployment sets MEDIACONVERT_ROLE_ARN.
PLACEHOLDER_ROLE_ARN = "arn:aws:iam::000000000000:role/avpipe-mediaconvert"
BACKENDS = ("local", "mediaconvert")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class MediaLimits:
    """What a source may declare before avpipe refuses it (absurd or over budget)."""

    max_duration_s: float = 6 * 3600.0
    max_dimension: int = 16384  # coded width or height, pixels
    max_frame_rate: float = 300.0
    max_input_bytes: int = 100 * 1024**3  # 100 GiB; set lower where the backend's disk is small (Lambda /tmp)

    def __post_init__(self) -> None:
        for name, value in ((ENV_MAX_DURATION_S, self.max_duration_s), (ENV_MAX_DIMENSION, self.max_dimension),
                            (ENV_MAX_FRAME_RATE, self.max_frame_rate), (ENV_MAX_INPUT_BYTES, self.max_input_bytes)):
            _require(value > 0, name, "must be greater than 0", value)


@dataclass(frozen=True)
class Settings:
    """Everything a pipeline run may be configured with."""

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    watch_url: str | None = None  # default: <data_dir>/watch
    public_url: str | None = None  # default: <data_dir>/public
    backend: str = "local"
    job_template: Path | None = None  # default: the packaged templates/job.json
    audio_job_template: Path | None = None  # default: the packaged templates/audio_job.json
    rungs: tuple[int, ...] = DEFAULT_RUNGS
    thumbnail_seconds: float = DEFAULT_THUMBNAIL_SECONDS
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    application_name: str = DEFAULT_APPLICATION_NAME
    mediaconvert_role_arn: str = PLACEHOLDER_ROLE_ARN
    log_format: str = "text"
    ffmpeg_threads: int = 0  # 0: let ffmpeg decide
    limits: MediaLimits = field(default_factory=MediaLimits)
    transient_retries: int = 2  # extra attempts for transient failures, with exponential backoff
    claim_ttl_s: float = 900.0  # a remote worker's claim on an upload expires after this (Lambda's max run)
    watch_quiet_s: float = DEFAULT_WATCH_QUIET_S  # a watched file is taken once unchanged this long
    watch_stable_polls: int = DEFAULT_WATCH_STABLE_POLLS  # ... and over this many polls
    mediaconvert_endpoint: str | None = None
    mediaconvert_queue: str | None = None
    sns_topic_arn: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    caption_timeout_s: float = 60.0  # a caption conversion running longer is refused (bad input)
    measure_quality: bool = False  # VMAF of each rendition after each local job (AVPIPE_QUALITY)
    preview: bool = True  # a playable preview is published before the ladder (AVPIPE_PREVIEW)
    detail_probe: bool = True  # spot upscaled sources before planning, to drop the rungs above their detail

    @property
    def detail_rungs(self) -> tuple[int, ...]:
        """The rungs the upscale check tries; none when it is switched off."""
        return self.rungs if self.detail_probe else ()

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigurationError(f"{ENV_BACKEND} must be one of {', '.join(BACKENDS)}; got {self.backend!r}.")
        if self.log_format not in LOG_FORMATS:
            raise ConfigurationError(f"{ENV_LOG_FORMAT} must be one of {', '.join(LOG_FORMATS)}; "
                                     f"got {self.log_format!r}.")
        unknown = [r for r in self.rungs if r not in AVAILABLE_RUNGS]
        if unknown or not self.rungs:
            raise ConfigurationError(
                f"Rungs must be a non-empty subset of {', '.join(map(str, AVAILABLE_RUNGS))} ({ENV_RUNGS} or "
                f"--rungs); got {self.rungs}."
            )
        _require(self.thumbnail_seconds >= 0, ENV_THUMBNAIL_SECONDS, "must not be negative", self.thumbnail_seconds)
        _require(self.workers >= 1, ENV_WORKERS, "must be at least 1", self.workers)
        _require(self.ffmpeg_threads >= 0, ENV_FFMPEG_THREADS, "must not be negative (0: ffmpeg decides)",
                 self.ffmpeg_threads)
        _require(self.transient_retries >= 0, ENV_TRANSIENT_RETRIES, "must not be negative", self.transient_retries)
        _require(self.claim_ttl_s > 0, ENV_CLAIM_TTL_S, "must be greater than 0", self.claim_ttl_s)
        _require(self.watch_quiet_s >= 0, ENV_WATCH_QUIET_S, "must not be negative", self.watch_quiet_s)
        _require(self.watch_stable_polls >= 1, ENV_WATCH_STABLE_POLLS, "must be at least 1", self.watch_stable_polls)
        _require(self.caption_timeout_s > 0, ENV_CAPTION_TIMEOUT_S, "must be greater than 0", self.caption_timeout_s)
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://")):
            raise ConfigurationError(f"{ENV_WEBHOOK_URL} must be an http(s) URL; got {self.webhook_url!r}.")

    @property
    def resolved_watch_url(self) -> str:
        return self.watch_url or str(self.data_dir / "watch")

    @property
    def resolved_public_url(self) -> str:
        return self.public_url or str(self.data_dir / "public")

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given non-None fields replaced (explicit arguments beat the environment)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from an environment mapping; unset variables keep the defaults."""
        kwargs: dict[str, object] = {}
        if environ.get(ENV_DATA):
            kwargs["data_dir"] = Path(environ[ENV_DATA])
        for env_name, attr in ((ENV_WATCH_URL, "watch_url"), (ENV_PUBLIC_URL, "public_url")):
            if environ.get(env_name):
                kwargs[attr] = environ[env_name]
        if environ.get(ENV_DESTINATION_BUCKET) and not environ.get(ENV_PUBLIC_URL):
            kwargs["public_url"] = f"s3://{environ[ENV_DESTINATION_BUCKET]}"
        if environ.get(ENV_WATCH_BUCKET) and not environ.get(ENV_WATCH_URL):
            kwargs["watch_url"] = f"s3://{environ[ENV_WATCH_BUCKET]}"
        for env_name, attr in ((ENV_JOB_TEMPLATE, "job_template"), (ENV_AUDIO_JOB_TEMPLATE, "audio_job_template")):
            if environ.get(env_name):
                kwargs[attr] = Path(environ[env_name])
        simple = {
            ENV_BACKEND: "backend",
            ENV_APPLICATION_NAME: "application_name",
            ENV_MEDIACONVERT_ROLE_ARN: "mediaconvert_role_arn",
            ENV_LOG_FORMAT: "log_format",
            ENV_MEDIACONVERT_ENDPOINT: "mediaconvert_endpoint",
            ENV_MEDIACONVERT_QUEUE: "mediaconvert_queue",
            ENV_SNS_TOPIC_ARN: "sns_topic_arn",
            ENV_WEBHOOK_URL: "webhook_url",
            ENV_WEBHOOK_SECRET: "webhook_secret",
        }
        for env_name, attr in simple.items():
            if environ.get(env_name):
                kwargs[attr] = environ[env_name]
        if environ.get(ENV_RUNGS):
            kwargs["rungs"] = parse_rungs(environ[ENV_RUNGS])
        if environ.get(ENV_THUMBNAIL_SECONDS):
            kwargs["thumbnail_seconds"] = _number(ENV_THUMBNAIL_SECONDS, environ[ENV_THUMBNAIL_SECONDS], float)
        if environ.get(ENV_WORKERS):
            kwargs["workers"] = _number(ENV_WORKERS, environ[ENV_WORKERS], int)
        if environ.get(ENV_FFMPEG_THREADS):
            kwargs["ffmpeg_threads"] = _number(ENV_FFMPEG_THREADS, environ[ENV_FFMPEG_THREADS], int)
        kwargs["limits"] = _limits(environ)
        if environ.get(ENV_CLAIM_TTL_S):
            kwargs["claim_ttl_s"] = _number(ENV_CLAIM_TTL_S, environ[ENV_CLAIM_TTL_S], float)
        if environ.get(ENV_WATCH_QUIET_S):
            kwargs["watch_quiet_s"] = _number(ENV_WATCH_QUIET_S, environ[ENV_WATCH_QUIET_S], float)
        if environ.get(ENV_WATCH_STABLE_POLLS):
            kwargs["watch_stable_polls"] = _number(ENV_WATCH_STABLE_POLLS, environ[ENV_WATCH_STABLE_POLLS], int)
        if environ.get(ENV_TRANSIENT_RETRIES):
            kwargs["transient_retries"] = _number(ENV_TRANSIENT_RETRIES, environ[ENV_TRANSIENT_RETRIES], int)
        if environ.get(ENV_CAPTION_TIMEOUT_S):
            kwargs["caption_timeout_s"] = _number(ENV_CAPTION_TIMEOUT_S, environ[ENV_CAPTION_TIMEOUT_S], float)
        if environ.get(ENV_QUALITY):
            kwargs["measure_quality"] = _switch(ENV_QUALITY, environ[ENV_QUALITY])
        if environ.get(ENV_PREVIEW):
            kwargs["preview"] = _switch(ENV_PREVIEW, environ[ENV_PREVIEW])
        if environ.get(ENV_DETAIL_PROBE):
            kwargs["detail_probe"] = _switch(ENV_DETAIL_PROBE, environ[ENV_DETAIL_PROBE])
        return cls(**kwargs)  # type: ignore[arg-type]


def _limits(environ: Mapping[str, str]) -> MediaLimits:
    names = {ENV_MAX_DURATION_S: ("max_duration_s", float), ENV_MAX_DIMENSION: ("max_dimension", int),
             ENV_MAX_FRAME_RATE: ("max_frame_rate", float), ENV_MAX_INPUT_BYTES: ("max_input_bytes", int)}
    values = {attr: _number(env, environ[env], kind) for env, (attr, kind) in names.items() if environ.get(env)}
    return MediaLimits(**values)  # type: ignore[arg-type]


def cache_dir(environ: Mapping[str, str]) -> Path:
    """The user's cache folder for avpipe: AVPIPE_CACHE_DIR, else $XDG_CACHE_HOME/avpipe, else ~/.cache/avpipe."""
    if environ.get(ENV_CACHE_DIR):
        return Path(environ[ENV_CACHE_DIR])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "avpipe"


def parse_rungs(text: str) -> tuple[int, ...]:
    """Parse ``"360,480,720p"`` into ``(360, 480, 720)``."""
    try:
        values = sorted({int(part.strip().lower().removesuffix("p")) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise ConfigurationError(f"Rungs must be numbers like 360,480,720,1080; got {text!r}.") from exc
    return tuple(values)


def _number(name: str, raw: str, kind: type[float] | type[int]) -> float | int:
    try:
        value = kind(raw.strip())
    except ValueError as exc:
        what = "a whole number" if kind is int else "a number"
        raise ConfigurationError(f"{name} must be {what}; got {raw!r}.") from exc
    _require(math.isfinite(value), name, "must be a finite number", raw)
    return value


def _switch(name: str, raw: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off``; anything else is a configuration error naming ``name``."""
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigurationError(f"{name} must be 1 or 0 (true/false, yes/no, on/off); got {raw!r}.")
    return value in ("1", "true", "yes", "on")


def _require(ok: bool, name: str, rule: str, value: object) -> None:
    """Raise the configuration error naming the setting ``name`` unless ``ok``."""
    if not ok:
        raise ConfigurationError(f"{name} {rule}; got {value!r}.")
