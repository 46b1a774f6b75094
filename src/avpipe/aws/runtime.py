"""The pipeline wired for Lambda: settings and boto3 clients from the environment.

Clients are built on first use (never at import time) and can be injected, which is
how the tests point everything at moto and a Stubber. With ``AVPIPE_BACKEND=local``
the same handlers transcode with ffmpeg instead of MediaConvert; the job's
JobStateChange is then handled in the same invocation.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from avpipe.analysis.facts import MediaFacts
from avpipe.analysis.mediainfo import probe as mediainfo_probe
from avpipe.aws.events import S3Object
from avpipe.config import (
    ENV_AWS_ENDPOINT_URL,
    ENV_BACKEND,
    ENV_DESTINATION_BUCKET,
    ENV_WATCH_BUCKET,
    Settings,
)
from avpipe.errors import ConfigurationError
from avpipe.ffmpeg.locate import find_ffmpeg
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.keys import INPUTS
from avpipe.manifest.model import Manifest
from avpipe.notify.base import Notifier
from avpipe.pipeline.context import PipelineContext, Templates, utc_now
from avpipe.pipeline.events import Event, ObjectCreated
from avpipe.pipeline.local_runtime import run_to_completion
from avpipe.storage.base import ObjectInfo, Store
from avpipe.storage.registry import open_store
from avpipe.storage.s3 import S3Store
from avpipe.transcode.base import Transcoder

log = logging.getLogger(__name__)


class AwsClients:
    """boto3 clients built lazily from an environment mapping, or injected."""

    def __init__(self, environ: Mapping[str, str], *, s3: Any = None, mediaconvert: Any = None,
                 sns: Any = None) -> None:
        self.environ = environ
        self._clients: dict[str, Any] = {k: v for k, v in
                                         {"s3": s3, "mediaconvert": mediaconvert, "sns": sns}.items() if v}

    def get(self, service: str, endpoint_url: str | None = None) -> Any:
        if service not in self._clients:
            self._clients[service] = self._build(service, endpoint_url)
        return self._clients[service]

    def _build(self, service: str, endpoint_url: str | None) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise ConfigurationError("The AWS runtime needs boto3: pip install 'avpipe[aws]'.") from exc
        # avpipe retries MediaConvert itself (with an idempotency token); one botocore attempt each
        config = Config(retries={"mode": "standard", "max_attempts": 1 if service == "mediaconvert" else 3})
        endpoint = endpoint_url or self.environ.get(ENV_AWS_ENDPOINT_URL) or None
        client: Any = boto3.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload,unused-ignore]
        return client


@dataclass
class AwsRuntime:
    """Builds a PipelineContext per event: stores by bucket, the configured transcoder."""

    settings: Settings
    clients: AwsClients
    probe: Callable[[str], MediaFacts] = mediainfo_probe
    clock: Callable[[], datetime] = utc_now
    notifier: Notifier | None = None
    runner: FfmpegRunner | None = None  # found on first use: only thumbnails and the local backend need it
    templates: Templates = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Templates.from_settings(self.settings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **clients: Any) -> AwsRuntime:
        """Settings from ``environ``; clients (``s3=``, ``mediaconvert=``, ``sns=``) injected or lazy.

        On AWS the backend defaults to MediaConvert; ``AVPIPE_BACKEND=local`` selects ffmpeg.
        """
        from avpipe.notify.registry import notifier_from_settings

        settings = Settings.from_env(environ)
        if not environ.get(ENV_BACKEND):
            settings = settings.with_overrides(backend="mediaconvert")
        aws = AwsClients(environ, **clients)
        notifier = notifier_from_settings(settings, lambda: aws.get("sns"))
        return cls(settings, aws, notifier=notifier or None)

    # --- stores -----------------------------------------------------------------------
    def store(self, url: str) -> Store:
        return S3Store(url, self.clients.get("s3")) if url.startswith("s3://") else open_store(url)

    def public_store(self) -> Store:
        if not self.settings.public_url:
            raise ConfigurationError(f"Set {ENV_DESTINATION_BUCKET} (or AVPIPE_PUBLIC_URL) to the public bucket.")
        return self.store(self.settings.public_url)

    def watch_store(self, bucket: str | None) -> Store:
        """The watch bucket an event came from, else the configured one (WATCH_BUCKET)."""
        if bucket:
            return self.store(f"s3://{bucket}")
        if self.settings.watch_url:
            return self.store(self.settings.watch_url)
        return UnconfiguredStore(f"Set {ENV_WATCH_BUCKET} (or AVPIPE_WATCH_URL) to the watch bucket.")

    def event_for(self, obj: S3Object) -> ObjectCreated:
        """An S3 record as an avpipe event: objects of the public bucket (outside ``inputs/``) are
        the public store's, everything else is an upload to a watch bucket."""
        key = self.public_store().key_for_uri(f"s3://{obj.bucket}/{obj.key}")
        if key is not None and not key.startswith(INPUTS):
            return ObjectCreated("public", key, obj.size, obj.etag)
        return ObjectCreated("watch", obj.key, obj.size, obj.etag)

    # --- running ----------------------------------------------------------------------
    def context(self, watch_bucket: str | None, emit: Callable[[Event], None]) -> PipelineContext:
        watch, public = self.watch_store(watch_bucket), self.public_store()
        return PipelineContext(self.settings, watch, public, self._transcoder(watch, public, emit),
                               self._runner(), self.probe, self.templates, self.clock)

    def handle(self, event: Event, watch_bucket: str | None = None) -> list[tuple[Event, Manifest | None]]:
        """Run ``event`` (and, with the local backend, the job it starts) to completion."""
        return run_to_completion(lambda emit: self.context(watch_bucket, emit), event, self.notifier)

    def _transcoder(self, watch: Store, public: Store, emit: Callable[[Event], None]) -> Transcoder:
        if self.settings.backend == "local":
            from avpipe.transcode.local import LocalTranscoder

            return LocalTranscoder(self._runner(), [watch, public], emit, threads=self.settings.ffmpeg_threads)
        return _OnFirstSubmit(self._mediaconvert)

    def _mediaconvert(self) -> Transcoder:
        from avpipe.transcode.mediaconvert import MediaConvertTranscoder

        client = self.clients.get("mediaconvert", self.settings.mediaconvert_endpoint)
        return MediaConvertTranscoder(client, queue=self.settings.mediaconvert_queue)

    def _runner(self) -> FfmpegRunner:
        if self.runner is None:
            try:
                self.runner = FfmpegRunner(find_ffmpeg())
            except ConfigurationError as exc:  # fails when used, with ffmpeg's own "not started" error
                log.debug("no ffmpeg here (%s); the frame grab and local backend will fail", exc)
                self.runner = FfmpegRunner("ffmpeg")
        return self.runner


class _OnFirstSubmit:
    """MediaConvert, with its client built only when a job is submitted (thumbnails, MP3
    copies and job events never need one)."""

    name = "mediaconvert"

    def __init__(self, build: Callable[[], Transcoder]) -> None:
        self._build = build

    def submit(self, request: dict[str, Any]) -> str:
        return self._build().submit(request)


class UnconfiguredStore(Store):
    """Stands in for a store the configuration does not name; any use says what to set."""

    url = "unconfigured://"

    def __init__(self, hint: str) -> None:
        self.hint = hint

    def _fail(self) -> ConfigurationError:
        return ConfigurationError(self.hint)

    def stat(self, key: str) -> ObjectInfo:
        raise self._fail()

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        raise self._fail()

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        raise self._fail()

    def delete(self, key: str) -> None:
        raise self._fail()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        raise self._fail()

    def uri(self, key: str) -> str:
        raise self._fail()

    def exists(self, key: str) -> bool:
        raise self._fail()

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        raise self._fail()
        yield ""  # pragma: no cover
