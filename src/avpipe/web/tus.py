"""The tus 1.0 resumable-upload protocol (core, creation, termination) over any store.

An upload lives in the watch store under ``.avpipe-tus/<id>/`` (outside ``inputs/``, so
the pipeline never sees it): ``info.json`` (the safe file name and the announced length)
and one object per received stretch of bytes, named by its 20-digit start offset. The
upload's offset is the sum of those sizes, so any server process can answer a HEAD or
take the next PATCH; a PATCH cut short keeps the bytes that arrived (the client resumes
from there). When the offset reaches the length the stretches are joined into
``inputs/<name>`` in one atomic write (``Store.compose``) and the upload's folder removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from avpipe.keys import INPUTS
from avpipe.storage.base import Store
from avpipe.web.names import extension_of, safe_upload_name
from avpipe.web.settings import WebSettings
from avpipe.web.uploads import UnsupportedKind, UploadConflict, UploadRejected, UploadTooLarge

log = logging.getLogger(__name__)
TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
ROOT = ".avpipe-tus/"


class UploadGone(UploadRejected):
    status = 404


class VersionMismatch(UploadRejected):
    status = 412


@dataclass(frozen=True)
class TusUpload:
    id: str
    name: str
    length: int
    offset: int


def parse_metadata(header: str) -> dict[str, str]:
    """``filename ZmlsZS5tcDQ=,kind`` -> ``{"filename": "file.mp4", "kind": ""}``."""
    result = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise UploadRejected("Upload-Metadata is not valid base64.") from exc
    return result


def number(headers: Mapping[str, str], name: str) -> int:
    raw = (headers.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise UploadRejected(f"The {name} header must be a whole number.")
    return int(raw)


class TusUploads:
    def __init__(self, store: Store, settings: WebSettings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def create(self, length: int, metadata: Mapping[str, str]) -> TusUpload:
        name = safe_upload_name(metadata.get("filename") or metadata.get("name") or "")
        if extension_of(name) not in self.settings.accepted_extensions:
            raise UnsupportedKind(f"Files of this kind are not accepted ({extension_of(name) or 'no extension'}).")
        if length > self.settings.max_upload_bytes:
            raise UploadTooLarge(f"The file is {length} bytes; the limit is {self.settings.max_upload_bytes}.")
        if length == 0:
            raise UploadRejected("The file is empty.")
        upload_id = uuid.uuid4().hex
        info = {"name": name, "length": length, "created": self.clock()}
        self.store.put(f"{ROOT}{upload_id}/info.json", json.dumps(info).encode(), content_type="application/json")
        log.info("tus upload %s created for %s (%d bytes)", upload_id, name, length)
        return TusUpload(upload_id, name, length, 0)

    def get(self, upload_id: str) -> TusUpload:
        if not (len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)):
            raise UploadGone("No such upload.")
        try:
            info = json.loads(self.store.read_bytes(f"{ROOT}{upload_id}/info.json"))
        except (FileNotFoundError, ValueError) as exc:
            raise UploadGone("No such upload (finished, cancelled or expired).") from exc
        offset = sum(item.size for item in self.store.list(f"{ROOT}{upload_id}/") if item.key[-20:].isdigit())
        return TusUpload(upload_id, str(info["name"]), int(info["length"]), offset)

    def append(self, upload: TusUpload, offset: int, data: Path, size: int) -> TusUpload:
        """Keep ``size`` bytes received at ``offset``; assemble when the upload is whole."""
        if offset != upload.offset:
            raise UploadConflict(f"Upload-Offset {offset} does not match the stored {upload.offset}.")
        if offset + size > upload.length:
            raise UploadTooLarge("The data goes past the announced Upload-Length.")
        if size:
            self.store.adopt(f"{ROOT}{upload.id}/{offset:020d}", data)
        done = TusUpload(upload.id, upload.name, upload.length, offset + size)
        return self._finish(done) if done.offset == done.length else done

    def terminate(self, upload: TusUpload) -> None:
        for item in list(self.store.list(f"{ROOT}{upload.id}/")):
            self.store.delete(item.key)

    def sweep(self) -> list[str]:
        """Remove uploads none of whose parts changed within the upload timeout."""
        newest: dict[str, float] = {}
        for item in self.store.list(ROOT):
            upload_id = item.key[len(ROOT):].split("/", 1)[0]
            newest[upload_id] = max(newest.get(upload_id, 0.0), item.modified or 0.0)
        cutoff = self.clock() - self.settings.upload_timeout_s
        gone = [upload_id for upload_id, stamp in newest.items() if stamp < cutoff]
        for upload_id in gone:
            for item in list(self.store.list(f"{ROOT}{upload_id}/")):
                self.store.delete(item.key)
        return gone

    def _finish(self, upload: TusUpload) -> TusUpload:
        parts = sorted(item.key for item in self.store.list(f"{ROOT}{upload.id}/") if item.key[-20:].isdigit())
        target = INPUTS + upload.name
        self.store.compose(parts, target)
        self.terminate(upload)
        log.info("tus upload %s: %s assembled (%d bytes)", upload.id, target, upload.length)
        return upload
