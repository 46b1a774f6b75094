"""Buckets shared by the S3 cases: the large file uploaded once per benchmark run."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from avpipe.bench.cases.base import BenchEnv, Spec
from avpipe.bench.s3server import new_bucket, s3_client

_PREPARED: dict[str, Spec] = {}
LARGE_INPUT = "inputs/large.mp4"
LARGE_ORIGINAL = "original/large.mp4"
MP3_INPUT = "inputs/song.mp3"


def prepare_buckets(env: BenchEnv) -> Spec:
    """Watch and public buckets holding the large file (as an upload and as an original) and the MP3."""
    if env.s3_endpoint is None:
        raise RuntimeError("the S3 cases need the moto server")
    if env.s3_endpoint in _PREPARED:
        return _PREPARED[env.s3_endpoint]
    from avpipe.analysis.mediainfo import probe

    large, mp3 = env.inputs.large(), env.inputs.audio_mp3()
    watch, public = new_bucket(env.s3_endpoint, "watch"), new_bucket(env.s3_endpoint, "public")
    client = s3_client(env.s3_endpoint)
    client.upload_file(str(large), watch, LARGE_INPUT)
    client.upload_file(str(large), public, LARGE_ORIGINAL)
    client.upload_file(str(mp3), watch, MP3_INPUT)
    facts = probe(str(large))
    client.put_object(Bucket=public, Key="json/large.json", Body=json.dumps(_manifest(facts.to_dict())).encode())
    spec = {"endpoint": env.s3_endpoint, "watch": f"s3://{watch}", "public": f"s3://{public}",
            "large_size": large.stat().st_size, "mp3_size": mp3.stat().st_size,
            "large_duration_s": facts.duration_s, "ffmpeg": env.ffmpeg}
    _PREPARED[env.s3_endpoint] = spec
    return spec


def _manifest(media: dict[str, Any]) -> dict[str, Any]:
    from avpipe.manifest.model import Manifest, Status

    now = datetime.now(UTC).isoformat()
    return Manifest(name="large", kind="video", status=Status.PROCESSING, created_at=now, updated_at=now,
                    source=LARGE_INPUT, original=LARGE_ORIGINAL, media=media).to_dict()


def stores(spec: Spec) -> tuple[Any, Any]:
    """The watch and public S3 stores, with a client for the moto server."""
    from avpipe.bench.s3server import s3_client
    from avpipe.storage.s3 import S3Store

    client = s3_client(spec["endpoint"])
    return S3Store(spec["watch"], client), S3Store(spec["public"], client)


@contextmanager
def downloaded(store: Any, key: str) -> Iterator[str]:
    """The baselines' download: one streaming GET into a temporary file.

    Not boto3's parallel ranged download: moto reads the whole object for every ranged
    GET, so 128 ranges of a 1 GB object would measure moto rather than the approach.
    """
    suffix = os.path.splitext(key)[1]
    with tempfile.TemporaryDirectory(prefix="avpipe-bench-") as folder:
        path = os.path.join(folder, f"object{suffix}")
        body = store.client.get_object(Bucket=store.bucket, Key=store.object_key(key))["Body"]
        with open(path, "wb") as out:
            shutil.copyfileobj(body, out, 1024 * 1024)
        yield path


def share(bytes_read: float | None, size: float) -> float | None:
    return None if bytes_read is None else round(100.0 * bytes_read / size, 3)
