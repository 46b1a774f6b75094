"""Direct-to-S3 uploads: the app signs an S3 multipart upload, the browser sends the parts
straight to the watch bucket under ``inputs/``, and the app completes or aborts it.

The object appears in ``inputs/`` only when the upload is completed, so the pipeline
(triggered by the upload itself in the cloud design) only ever sees whole files. The
client never names the object key: it is derived from the safe file name each time.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from avpipe.keys import INPUTS
from avpipe.storage.s3 import S3Store
from avpipe.web.names import extension_of, safe_upload_name
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import UnsupportedKind, UploadRejected, UploadTooLarge

log = logging.getLogger(__name__)
MIN_PART = 5 * 1024 * 1024  # S3's smallest part (but the last)
MAX_PARTS = 10_000
URL_SECONDS = 3600


@dataclass(frozen=True)
class DirectUploads:
    store: S3Store
    settings: WebSettings
    part_size: int = 8 * 1024 * 1024

    def create(self, filename: str, size: int) -> dict[str, Any]:
        name = safe_upload_name(filename)
        if extension_of(name) not in self.settings.accepted_extensions:
            raise UnsupportedKind(f"Files of this kind are not accepted ({extension_of(name) or 'no extension'}).")
        if not 0 < size <= self.settings.max_upload_bytes:
            raise UploadTooLarge(f"The file must be 1 to {self.settings.max_upload_bytes} bytes.")
        part = max(self.part_size, MIN_PART, math.ceil(size / MAX_PARTS))
        count = math.ceil(size / part)
        key = INPUTS + name
        full = self.store.object_key(key)
        started = self.store.client.create_multipart_upload(Bucket=self.store.bucket, Key=full,
                                                            ContentType="application/octet-stream")
        upload_id = started["UploadId"]
        urls = [self.store.client.generate_presigned_url(
            "upload_part", ExpiresIn=URL_SECONDS,
            Params={"Bucket": self.store.bucket, "Key": full, "UploadId": upload_id, "PartNumber": number})
            for number in range(1, count + 1)]
        log.info("direct upload of %s started (%d parts)", key, count)
        return {"name": name, "key": key, "upload_id": upload_id, "part_size": part, "urls": urls}

    def complete(self, filename: str, upload_id: str, parts: Any) -> dict[str, Any]:
        key = INPUTS + safe_upload_name(filename)
        if not isinstance(parts, list) or not parts or len(parts) > MAX_PARTS:
            raise UploadRejected("parts must list every part's number and ETag.")
        listed = []
        for item in parts:
            if not isinstance(item, dict) or not isinstance(item.get("part"), int) or not isinstance(
                    item.get("etag"), str):
                raise UploadRejected("Each part needs a number (part) and the ETag S3 answered (etag).")
            listed.append({"PartNumber": item["part"], "ETag": item["etag"]})
        self.store.client.complete_multipart_upload(
            Bucket=self.store.bucket, Key=self.store.object_key(key), UploadId=_id(upload_id),
            MultipartUpload={"Parts": sorted(listed, key=lambda p: p["PartNumber"])})
        log.info("direct upload of %s completed", key)
        return {"key": key, "complete": True}

    def abort(self, filename: str, upload_id: str) -> None:
        key = INPUTS + safe_upload_name(filename)
        self.store.client.abort_multipart_upload(Bucket=self.store.bucket, Key=self.store.object_key(key),
                                                 UploadId=_id(upload_id))


def _id(upload_id: str) -> str:
    if not upload_id or len(upload_id) > 1024 or not upload_id.isprintable():
        raise UploadRejected("upload_id is missing or malformed.")
    return upload_id
