"""The media library: asset manifests joined with what is waiting in ``inputs/`` and live progress.

An asset's ``state`` is its manifest status, or ``queued`` when an upload for it sits in
``inputs/`` and is newer than the manifest (just uploaded, or a retry was asked for).
Every public key gets a ``url``: ``/files/<key>`` served by this app, or the public base
URL (a CDN or the public bucket) when one is configured.
"""

from __future__ import annotations

import json
import logging
import posixpath
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from avpipe.errors import BadInputError
from avpipe.keys import INPUTS, JSON, AssetKeys, check_key, is_ignored
from avpipe.manifest.model import Manifest, Status
from avpipe.manifest.repository import load_manifest, read_manifest
from avpipe.storage.base import ObjectInfo, Store

log = logging.getLogger(__name__)
QUEUED = "queued"
PROGRESS = ".avpipe-progress/"  # in the watch store, next to inputs/ (never processed)


class ProgressBoard:
    """Live transcode progress per asset, fed by the local transcoder (a ``JobProgress``).

    Kept in the watch store (``.avpipe-progress/<asset>.json``, outside ``inputs/``), so every
    server process reads what the worker process writes; writes are throttled to whole percents.
    """

    def __init__(self, public: Store, watch: Store | None = None) -> None:
        self.public = public
        self.watch = watch
        self._written: dict[str, int] = {}
        self._lock = threading.Lock()

    def duration_s(self, metadata: Mapping[str, str]) -> float | None:
        manifest = load_manifest(self.public, metadata.get("asset", ""))
        duration = (manifest.media or {}).get("duration_s") if manifest else None
        return float(duration) if isinstance(duration, (int, float)) and duration > 0 else None

    def update(self, metadata: Mapping[str, str], fraction: float) -> None:
        name, percent = metadata.get("asset", ""), round(fraction * 100)
        with self._lock:
            if self._written.get(name) == percent:
                return
            self._written[name] = percent
        if self.watch is not None and name:
            try:
                self.watch.put(_progress_key(name), json.dumps({"percent": percent}).encode(),
                               content_type="application/json")
            except (OSError, BadInputError) as exc:  # progress is a nicety: never fail a transcode for it
                log.debug("progress of %s not recorded: %s", name, exc)

    def percent(self, name: str) -> int | None:
        if self.watch is None:
            with self._lock:
                return self._written.get(name)
        try:
            data = json.loads(self.watch.read_bytes(_progress_key(name)))
        except (FileNotFoundError, ValueError, BadInputError):
            return None
        value = data.get("percent") if isinstance(data, dict) else None
        return value if isinstance(value, int) else None


def _progress_key(name: str) -> str:
    return f"{PROGRESS}{check_key(name)}.json"


class Library:
    def __init__(self, watch: Store, public: Store, progress: ProgressBoard, public_base_url: str | None = None,
                 *, serve_originals: bool = False) -> None:
        self.serve_originals = serve_originals  # otherwise original/ is not linked (it is not served)
        self.watch = watch
        self.public = public
        self.progress = progress
        self.public_base_url = public_base_url

    def assets(self) -> list[dict[str, Any]]:
        """Every asset, newest first: manifests plus uploads not yet picked up."""
        waiting = self._waiting()
        views = {}
        for info in self.public.list(JSON):
            manifest = read_manifest(self.public, info.key)
            if manifest is not None:
                views[manifest.name] = self.view(manifest, waiting.get(manifest.name))
        for name, upload in waiting.items():
            if name not in views:
                views[name] = self._queued(name, upload)
        return sorted(views.values(), key=lambda v: v["updated_at"], reverse=True)

    def asset(self, name: str) -> dict[str, Any] | None:
        check_key(name)
        manifest = load_manifest(self.public, name)
        upload = self._waiting(name).get(name)
        if manifest is None:
            return self._queued(name, upload) if upload else None
        return self.view(manifest, upload)

    def url(self, key: str) -> str:
        quoted = quote(key, safe="/")
        if self.public_base_url:
            return self.public_base_url.rstrip("/") + "/" + quoted
        return "/files/" + quoted

    def view(self, manifest: Manifest, upload: ObjectInfo | None = None) -> dict[str, Any]:
        data = manifest.to_dict()
        state = str(manifest.status)
        if upload is not None and _newer(upload, manifest.updated_at):
            state = QUEUED
        data["state"] = state
        data["progress"] = self._percent(manifest, state)
        data["links"] = self._links(manifest)
        return data

    def _percent(self, manifest: Manifest, state: str) -> int | None:
        if state == str(Status.COMPLETE):
            return 100
        if state == str(Status.PROCESSING):
            return self.progress.percent(manifest.name) or 0
        return None

    def _links(self, manifest: Manifest) -> dict[str, Any]:
        return {
            "manifest": self.url(f"{JSON}{manifest.name}.json"),
            "thumbnail": self.url(manifest.thumbnail) if manifest.thumbnail else None,
            "original": self.url(manifest.original) if manifest.original and self.serve_originals else None,
            "outputs": [{**_output_dict(o), "url": self.url(o.key), "label": _label(o.key, o.rung)}
                        for o in manifest.outputs],
            "captions": [{"url": self.url(c.key), "language": c.language, "label": c.language or "captions",
                          "key": c.key} for c in manifest.captions if c.key and c.status == "complete"],
        }

    def _queued(self, name: str, upload: ObjectInfo | None) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(upload.modified or 0).astimezone().isoformat() if upload else ""
        return {"name": name, "kind": None, "status": QUEUED, "state": QUEUED, "progress": None,
                "source": upload.key if upload else None, "created_at": stamp, "updated_at": stamp,
                "media": None, "outputs": [], "captions": [], "error": None, "history": [],
                "links": {"outputs": [], "captions": [], "thumbnail": None, "original": None, "manifest": None}}

    def _waiting(self, name: str | None = None) -> dict[str, ObjectInfo]:
        """Asset name -> the newest complete upload for it in ``inputs/``."""
        prefix = INPUTS + (posixpath.dirname(name) + "/" if name and "/" in name else "")
        found: dict[str, ObjectInfo] = {}
        for info in self.watch.list(prefix):
            if is_ignored(info.key):
                continue
            try:
                asset = AssetKeys.for_input(info.key).name
            except BadInputError:
                continue
            if asset not in found or (info.modified or 0) > (found[asset].modified or 0):
                found[asset] = info
        return found


def _newer(upload: ObjectInfo, manifest_stamp: str) -> bool:
    try:
        updated = datetime.fromisoformat(manifest_stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True
    return (upload.modified or 0) > updated


def _output_dict(output: Any) -> dict[str, Any]:
    return {"key": output.key, "kind": output.kind, "rung": output.rung, "width": output.width,
            "height": output.height}


def _label(key: str, rung: int | None) -> str:
    if rung:
        return f"{rung}p"
    return posixpath.splitext(key)[1].lstrip(".").upper() or key
