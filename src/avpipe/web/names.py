"""Upload file names made safe: no traversal, no hidden files, readable unicode, bounded length."""

from __future__ import annotations

import posixpath
import re
import unicodedata

from avpipe.errors import BadInputError
from avpipe.keys import INPUTS, check_key

MAX_SEGMENT_BYTES = 200  # below every common file system's 255-byte limit, leaving room for suffixes
MAX_DEPTH = 8
MAX_EXTENSION = 16
# Removed: control and format characters (incl. bidi overrides that disguise extensions),
# line/paragraph separators, surrogates and private-use characters.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
_AWKWARD = re.compile(r'[<>:"|?*]')  # not allowed in Windows file names; harmless to replace
_CHUNK_SUFFIX = re.compile(r"\.(CHUNK\d+)$")
_SPACES = re.compile(r"\s+")
_WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f]")


def safe_upload_name(raw: str) -> str:
    """The name an upload is stored under in ``inputs/`` (may contain ``/`` sub-folders).

    Unicode is NFC-normalised (so ``é`` stays ``é`` whichever way it was typed), unsafe
    characters are dropped or replaced, ``.``/``..`` and empty segments removed, leading
    dots stripped (no hidden files) and each segment bounded to 200 bytes of UTF-8.
    """
    text = _WHITESPACE_CONTROLS.sub(" ", unicodedata.normalize("NFC", raw))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    segments = [_segment(part) for part in text.replace("\\", "/").split("/")]
    segments = [part for part in segments if part]
    if not segments:
        raise BadInputError("The file name is empty once unsafe characters are removed.")
    if len(segments) > MAX_DEPTH:
        raise BadInputError(f"The file name has more than {MAX_DEPTH} folder levels.")
    name = "/".join(segments)
    name = _CHUNK_SUFFIX.sub(r"_\1", name)  # a name ending .CHUNK3 would be taken for a part
    check_key(INPUTS + name)
    return name


def extension_of(name: str) -> str:
    return posixpath.splitext(posixpath.basename(name))[1].lower()


def _segment(part: str) -> str:
    part = _SPACES.sub(" ", _AWKWARD.sub("_", part)).strip()
    part = part.lstrip(".").rstrip(". ")
    return _bounded(part)


def _bounded(part: str) -> str:
    if len(part.encode("utf-8")) <= MAX_SEGMENT_BYTES:
        return part
    stem, ext = posixpath.splitext(part)
    if len(ext) > MAX_EXTENSION:
        stem, ext = part, ""
    budget = MAX_SEGMENT_BYTES - len(ext.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem.rstrip(". ") + ext
