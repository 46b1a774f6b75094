"""The media library: asset manifests joined with what is waiting in ``inputs/`` and live progress.

An asset's ``state`` is its manifest status, or ``queued`` when an upload for it sits in
``inputs/`` and is newer than the manifest (just uploaded, or a retry was asked for).
Every public key gets a ``url``: ``/files/<key>`` served by this app, or the public base
URL (a CDN or the public bucket) when one is configured.
"""

from __future__ import annotations

import base64
import json
import logging
import posixpath
import threading
from collections.abc import Mapping
from dataclasses import dataclass
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


CACHE_SIZE = 50_000
SORTS = ("newest", "oldest", "name")
MAX_LIMIT = 500


@dataclass(frozen=True)
class AssetQuery:
    limit: int | None = 50  # None: every asset
    offset: int = 0  # from the cursor
    sort: str = "newest"
    search: str = ""  # part of the name, any case
    state: str = ""
    kind: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AssetQuery:
        limit = _whole(params.get("limit", ""), "limit")
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise BadInputError(f"limit must be between 1 and {MAX_LIMIT}.")
        sort = params.get("sort") or "newest"
        if sort not in SORTS:
            raise BadInputError(f"sort must be one of {', '.join(SORTS)}.")
        return cls(limit, decode_cursor(params.get("cursor", "")), sort, params.get("q", "")[:200],
                   params.get("state", ""), params.get("kind", ""))


@dataclass
class AssetPage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int  # assets matching the name search (state and kind filters not counted)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInputError("The cursor is not one this server gave out.") from exc
    offset = _whole(text[1:], "cursor") if text.startswith("o") else None
    if offset is None:
        raise BadInputError("The cursor is not one this server gave out.")
    return offset


def _whole(raw: str, what: str) -> int | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise BadInputError(f"{what} must be a whole number.")
    return int(raw)


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
        self._cache: dict[str, tuple[tuple[object, ...], Manifest | None]] = {}
        self._cache_lock = threading.Lock()
        self.watch = watch
        self.public = public
        self.progress = progress
        self.public_base_url = public_base_url

    def assets(self) -> list[dict[str, Any]]:
        """Every asset, newest first: manifests plus uploads not yet picked up."""
        return self.page(AssetQuery(limit=None)).items

    def page(self, query: AssetQuery) -> AssetPage:
        """One page of assets. Sorting, the name search and the cursor use the listings alone
        (newest: the manifest's or upload's time of writing); state and kind filters read the
        manifests, through a cache keyed by each object's size and time, so repeat pages are fast."""
        waiting = self._waiting()
        entries: dict[str, float] = {}
        keys: dict[str, ObjectInfo] = {}
        for info in self.public.list(JSON):
            if not info.key.endswith(".json") or is_ignored(info.key):
                continue
            name = info.key[len(JSON):-len(".json")]
            entries[name], keys[name] = info.modified or 0.0, info
        for name, upload in waiting.items():
            entries[name] = max(entries.get(name, 0.0), upload.modified or 0.0)
        needle = query.search.casefold()
        names = [n for n in entries if needle in n.casefold()]
        if query.sort == "name":
            names.sort(key=str.casefold)
        else:
            names.sort(key=lambda n: (entries[n], n), reverse=query.sort != "oldest")
        views: list[dict[str, Any]] = []
        position = query.offset
        while position < len(names) and (query.limit is None or len(views) < query.limit):
            name = names[position]
            position += 1
            manifest = self._cached(keys[name]) if name in keys else None
            view = self.view(manifest, waiting.get(name)) if manifest else self._queued(name, waiting.get(name))
            if query.state and view["state"] != query.state or query.kind and view["kind"] != query.kind:
                continue
            views.append(view)
        more = position < len(names)
        return AssetPage(views, encode_cursor(position) if more else None, len(names))

    def _cached(self, info: ObjectInfo) -> Manifest | None:
        key, stamp = info.key, (info.size, info.modified, info.etag)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        manifest = read_manifest(self.public, key)
        with self._cache_lock:
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = (stamp, manifest)
        return manifest

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
            # while the ladder runs: one MP4 to play (removed when the ladder is published)
            "preview": {**_output_dict(manifest.preview), "url": self.url(manifest.preview.key), "label": "Preview"}
            if manifest.preview else None,
        }

    def _queued(self, name: str, upload: ObjectInfo | None) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(upload.modified or 0).astimezone().isoformat() if upload else ""
        return {"name": name, "kind": None, "status": QUEUED, "state": QUEUED, "progress": None,
                "source": upload.key if upload else None, "created_at": stamp, "updated_at": stamp,
                "media": None, "outputs": [], "captions": [], "error": None, "history": [],
                "links": {"outputs": [], "captions": [], "thumbnail": None, "original": None, "manifest": None,
                          "preview": None}}

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
