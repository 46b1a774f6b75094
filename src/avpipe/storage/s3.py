"""An S3 bucket (or a prefix in one) behind the :class:`~avpipe.storage.base.Store` interface.

Works with any S3-compatible server: the client is passed in, or built on first use
with ``endpoint_url`` from ``AWS_ENDPOINT_URL``. Botocore errors are translated at this
edge: a missing object is :class:`FileNotFoundError`, a refused one
:class:`PermissionError`, a missing bucket or credentials a ConfigurationError, and
throttling or a server failure a TransientError.

Large objects never pass through this process when they need not: :meth:`readable`
hands ffmpeg and MediaInfo a presigned URL they read by ranges, and :meth:`copy_to`
another S3 store copies server-side (multipart ``UploadPartCopy`` above a threshold).
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from avpipe.config import ENV_AWS_ENDPOINT_URL
from avpipe.errors import ConfigurationError, TransientError
from avpipe.keys import check_key
from avpipe.storage.base import ObjectInfo, Store
from avpipe.storage.fingerprint import PROOF_S3_CHECKSUM, PROOF_S3_ETAG, Fingerprint, hex_of_checksum

log = logging.getLogger(__name__)
T = TypeVar("T")

MIB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 64 * MIB  # uploads from a file above this go in parts
MIN_PART_BYTES = 5 * MIB  # S3's smallest part of a multipart upload (all but the last)
DEFAULT_COPY_THRESHOLD = 512 * MIB  # server-side copies above this use UploadPartCopy
DEFAULT_PRESIGN_SECONDS = 3600
CHECKSUM = {"ChecksumAlgorithm": "SHA256"}  # S3 computes and keeps a SHA-256 of what avpipe writes
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED = frozenset({"403", "AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidObjectState"})
_CONFIG = frozenset({"NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName",
                     "PermanentRedirect", "AuthorizationHeaderMalformed", "ExpiredToken", "InvalidToken"})


class S3Store(Store):
    """Objects under ``s3://bucket[/prefix]``; keys are relative to the prefix."""

    def __init__(
        self,
        url: str,
        client: Any | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        copy_threshold: int = DEFAULT_COPY_THRESHOLD,
        presign_seconds: int = DEFAULT_PRESIGN_SECONDS,
    ) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self._client = client
        self._environ = environ
        self.multipart_threshold = multipart_threshold
        self.copy_threshold = copy_threshold
        self.presign_seconds = presign_seconds

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client (built on first use when none was injected)."""
        if self._client is None:
            self._client = build_s3_client(os.environ if self._environ is None else self._environ)
        return self._client

    def object_key(self, key: str) -> str:
        """The full object key in the bucket for a store key (checked, prefixed)."""
        return self.prefix + check_key(key)

    # --- primitives -------------------------------------------------------------------
    def stat(self, key: str) -> ObjectInfo:
        head = self._call(key, lambda: self.client.head_object(Bucket=self.bucket, Key=self.object_key(key)))
        modified = head.get("LastModified")
        return ObjectInfo(key, int(head["ContentLength"]), _etag(head.get("ETag")),
                          modified.timestamp() if modified is not None else None)

    def read_bytes(self, key: str, start: int = 0, length: int | None = None) -> bytes:
        if length == 0:
            return b""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            params["Range"] = f"bytes={start}-{end}"
        try:
            response = self._call(key, lambda: self.client.get_object(**params))
        except _RangeNotSatisfiable:
            return b""
        with contextlib.closing(response["Body"]) as body:
            data: bytes = body.read()
        return data

    def put(self, key: str, source: bytes | Path, content_type: str | None = None) -> None:
        full = self.object_key(key)
        kind = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
        if isinstance(source, bytes):
            self._call(key, lambda: self.client.put_object(Bucket=self.bucket, Key=full, Body=source,
                                                           ContentType=kind, **CHECKSUM))
            return
        config = _transfer_config(self.multipart_threshold)
        self._call(key, lambda: self.client.upload_file(str(source), self.bucket, full,
                                                        ExtraArgs={"ContentType": kind, **CHECKSUM},
                                                        Config=config))

    def put_if(self, key: str, data: bytes, *, version: str | None) -> bool:
        """S3 conditional writes: ``If-None-Match: *`` to create, ``If-Match: <ETag>`` to replace."""
        from botocore.exceptions import ClientError

        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": f'"{version}"'}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data,
                                   ContentType="application/json", **condition)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404"):
                return False  # someone else created or changed it first
            raise translate_client_error(exc, self.uri(key)) from exc
        return True

    def delete(self, key: str) -> None:
        self._call(key, lambda: self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key)))

    def delete_if(self, key: str, version: str) -> bool:
        """Delete only while the object's ETag is ``version``: checked first, and sent as
        ``If-Match`` so a version written between the check and the delete stays."""
        from botocore.exceptions import ClientError

        try:
            if self.stat(key).etag != version:
                return False
        except FileNotFoundError:
            return False
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key), IfMatch=f'"{version}"')
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "ConditionalRequestConflict", *_MISSING):
                return False  # replaced (or removed) meanwhile: the newer version stays
            if code != "NotImplemented":
                raise translate_client_error(exc, self.uri(key)) from exc
            log.debug("%s has no conditional deletes; %s deleted after the version check only", self.url, key)
            self.delete(key)
        return True

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in self._call(prefix or "/", lambda: list(pages)):
            for item in page.get("Contents", []):
                modified = item.get("LastModified")
                yield ObjectInfo(item["Key"][len(self.prefix):], int(item["Size"]), _etag(item.get("ETag")),
                                 modified.timestamp() if modified is not None else None)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.object_key(key)}"

    # --- better than the defaults -----------------------------------------------------
    def key_for_uri(self, uri: str) -> str | None:
        base = f"s3://{self.bucket}/{self.prefix}"
        if not uri.startswith(base) or len(uri) == len(base):
            return None
        return uri[len(base):]

    @contextlib.contextmanager
    def readable(self, key: str) -> Iterator[str]:
        """A presigned GET URL: ffmpeg and MediaInfo read the ranges they need, nothing more."""
        self.stat(key)  # a missing object fails here, as a missing file would
        url = self._call(key, lambda: self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.object_key(key)},
            ExpiresIn=self.presign_seconds))
        yield str(url)

    def copy_to(self, key: str, target: Store, target_key: str) -> None:
        """Server-side copy into another S3 store (multipart above ``copy_threshold``)."""
        destination = target.backing
        if not isinstance(destination, S3Store):
            super().copy_to(key, target, target_key)
            return
        source = {"Bucket": self.bucket, "Key": self.object_key(key)}
        full = destination.object_key(target_key)
        config = _transfer_config(self.copy_threshold)
        self._call(key, lambda: destination.client.copy(source, destination.bucket, full, ExtraArgs=CHECKSUM,
                                                        SourceClient=self.client, Config=config))
        log.debug("copied %s to %s server-side", self.uri(key), destination.uri(target_key))
        target.copied_in(target_key)

    def compose(self, parts: Sequence[str], target: str) -> None:
        """Join parts server-side: one multipart upload whose parts are copies of ``parts``.

        S3 needs every part but the last to be at least 5 MiB; smaller chunks are joined
        through a local temporary file instead (the default).
        """
        sizes = [self.stat(part).size for part in parts]
        if len(parts) < 2 or min(sizes[:-1]) < MIN_PART_BYTES:
            super().compose(parts, target)
            return
        full = self.object_key(target)
        upload = self._call(target, lambda: self.client.create_multipart_upload(Bucket=self.bucket, Key=full))
        upload_id = upload["UploadId"]
        try:
            done = [self._copy_part(full, upload_id, number, part) for number, part in enumerate(parts, 1)]
            self._call(target, lambda: self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": done}))
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
            raise
        log.debug("composed %s from %d parts server-side", self.uri(target), len(parts))

    def _copy_part(self, full: str, upload_id: str, number: int, part: str) -> dict[str, Any]:
        source = {"Bucket": self.bucket, "Key": self.object_key(part)}
        reply = self._call(part, lambda: self.client.upload_part_copy(
            Bucket=self.bucket, Key=full, UploadId=upload_id, PartNumber=number, CopySource=source))
        return {"PartNumber": number, "ETag": reply["CopyPartResult"]["ETag"]}

    def fingerprint(self, key: str, sha256: str | None = None) -> Fingerprint:
        """What S3 vouches for (one HEAD, no bytes read): size, ETag and its SHA-256 checksum if it has
        one; ``sha256`` (the caller's digest of what it wrote) is kept alongside."""
        head = self._call(key, lambda: self.client.head_object(Bucket=self.bucket, Key=self.object_key(key),
                                                               ChecksumMode="ENABLED"))
        checksum = head.get("ChecksumSHA256")
        etag = _etag(head.get("ETag"))
        if checksum and (head.get("ChecksumType") == "COMPOSITE" or "-" in (etag or "")):
            checksum = checksum if "-" in checksum else f"{checksum}-composite"
        whole = hex_of_checksum(checksum) if checksum else None
        return Fingerprint(int(head["ContentLength"]), PROOF_S3_CHECKSUM if checksum else PROOF_S3_ETAG,
                           sha256=whole or sha256, etag=etag, checksum_sha256=checksum)

    def download(self, key: str, out: object) -> None:
        self._call(key, lambda: self.client.download_fileobj(self.bucket, self.object_key(key), out))

    # --- error translation ----------------------------------------------------------
    def _call(self, key: str, operation: Callable[[], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            return operation()
        except ClientError as exc:
            raise translate_client_error(exc, self.uri(key) if key != "/" else self.url) from exc
        except NoCredentialsError as exc:
            raise ConfigurationError("No AWS credentials were found for S3.") from exc
        except BotoCoreError as exc:
            raise TransientError(f"S3 could not be reached for {self.url}: {exc}") from exc


class _RangeNotSatisfiable(Exception):
    """A ranged read that starts past the end of the object (reads as empty)."""


def translate_client_error(exc: Any, where: str) -> BaseException:
    """A botocore ClientError as a built-in or avpipe error (the caller raises it ``from exc``)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in _MISSING:
        return FileNotFoundError(where)
    if code == "InvalidRange" or status == 416:
        return _RangeNotSatisfiable(where)
    if code in _DENIED:
        return PermissionError(f"S3 refused access to {where} ({code}).")
    if code in _CONFIG:
        return ConfigurationError(f"S3 cannot serve {where}: {code} ({error.get('Message', 'no message')}).")
    if status >= 500 or status == 429 or code in ("SlowDown", "RequestTimeout", "Throttling"):
        return TransientError(f"S3 is unavailable for {where} ({code or status}); try again later.")
    return ConfigurationError(f"S3 rejected a request for {where}: {code or status}.")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")``; the prefix may be empty."""
    if not url.startswith("s3://"):
        raise ConfigurationError(f"{url!r} is not an s3:// URL.")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ConfigurationError(f"{url!r} names no bucket.")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def build_s3_client(environ: Mapping[str, str]) -> Any:
    """A boto3 S3 client; ``AWS_ENDPOINT_URL`` points it at any S3-compatible server."""
    try:
        import boto3
    except ImportError as exc:
        raise ConfigurationError("S3 storage needs boto3: pip install 'avpipe[aws]'.") from exc
    return boto3.client("s3", endpoint_url=environ.get(ENV_AWS_ENDPOINT_URL) or None)


def _transfer_config(threshold: int) -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=threshold, multipart_chunksize=max(threshold, 5 * MIB))


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None
