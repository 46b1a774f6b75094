"""Editable labels of an asset: ``title``, ``description`` and ``tags``, kept in its manifest."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

from avpipe.errors import BadInputError
from avpipe.manifest.model import Manifest, Status
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.storage.base import Store
from avpipe.web.uploads import UploadConflict
from avpipe.web.worker import AssetNotFound

LIMITS = {"title": 200, "description": 5000}
MAX_TAGS, MAX_TAG = 50, 50


def parse_labels(body: Any) -> dict[str, Any]:
    """The changes a PATCH body asks for: any of title, description (text or null) and tags (list)."""
    if not isinstance(body, dict) or not body or set(body) - {"title", "description", "tags"}:
        raise BadInputError("Send a JSON object with any of title, description and tags.")
    changes: dict[str, Any] = {}
    for field, limit in LIMITS.items():
        if field in body:
            value = body[field]
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise BadInputError(f"{field} must be text of at most {limit} characters, or null.")
            changes[field] = _clean(value) or None if value is not None else None
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(t, str) for t in tags):
            raise BadInputError(f"tags must be a list of at most {MAX_TAGS} texts.")
        cleaned = [_clean(t) for t in tags]
        if any(not t or len(t) > MAX_TAG for t in cleaned):
            raise BadInputError(f"Each tag must be 1 to {MAX_TAG} characters.")
        changes["tags"] = tuple(dict.fromkeys(cleaned))
    return changes


def edit_labels(public: Store, name: str, changes: dict[str, Any]) -> Manifest:
    """Apply ``changes`` with a compare-and-swap write; a processing asset is refused (409)."""
    current = load_manifest(public, name)
    if current is None:
        raise AssetNotFound(name)
    if current.status is Status.PROCESSING:
        raise UploadConflict(f"{name} is being processed; edit it once it has finished.")
    updated = update_manifest(public, name, lambda m: dataclasses.replace(m, **changes))
    if updated is None:
        raise AssetNotFound(name)
    return updated


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
