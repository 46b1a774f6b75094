"""Key naming: where each output of an upload lives, and which keys are not ours to process.

Keys are ``/``-separated object keys, the same for a local folder store and an S3
bucket. The watch store holds uploads under ``inputs/``; the public store holds the
seed's folders. Sub-folders are kept: ``inputs/course1/intro.mp4`` becomes the asset
``course1/intro`` with ``audiovideo/course1/intro_720p.mp4`` and so on.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass

from avpipe.errors import BadInputError

INPUTS = "inputs/"
AUDIOVIDEO = "audiovideo/"
CLOSED_CAPTION = "closed-caption/"
JSON = "json/"
ORIGINAL = "original/"
THUMBNAIL = "thumbnail/"
CAPTION_EXTENSIONS = (".srt", ".vtt", ".scc", ".dfxp", ".ttml", ".xml", ".smi", ".sami")  # the usual names
STAGING = "staging/"  # transcoder outputs land here (not public) until the whole job succeeded
PUBLIC_FOLDERS = (AUDIOVIDEO, CLOSED_CAPTION, JSON, ORIGINAL, THUMBNAIL)

_CHUNK = re.compile(r"\.CHUNK\d+$")
MAX_KEY_BYTES = 1024  # S3's limit on key length


def is_chunk(key: str) -> bool:
    """True for plupload-style part keys (``name.mp4.CHUNK3``), which wait for assembly."""
    return bool(_CHUNK.search(key))


def is_ignored(key: str) -> bool:
    """Keys the pipeline never processes: chunks, folders, hidden and temporary files."""
    base = posixpath.basename(key)
    return not base or base.startswith(".") or is_chunk(key)


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise BadInputError."""
    if not key or len(key.encode("utf-8", "surrogateescape")) > MAX_KEY_BYTES:
        raise BadInputError("The file name is empty or longer than 1024 bytes.")
    if key.startswith("/") or "\\" in key:
        raise BadInputError("The file name must be a relative path without backslashes.")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in key):  # Cs: bytes that are not UTF-8
        raise BadInputError("The file name contains control characters.")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BadInputError("The file name contains empty, '.' or '..' path segments.")
    return key


# --- asset names made from watch-folder names (normalised and bounded) -------------------
MAX_NAME_SEGMENT_BYTES = 200  # leaves room for "_1080p.mp4", ".<lang>.vtt" and temp marks in 255 bytes
_INVISIBLE_OK = frozenset("\u200c\u200d")  # ZWNJ/ZWJ: needed in some scripts and emoji; other Cf are not


def asset_path(relative: str) -> str:
    """The NFC form of an upload path, so NFC/NFD twins are one asset; refuses look-alike tricks
    (bidi overrides and other invisible format characters) and segments too long for a file name."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in relative):
        raise BadInputError("The file name contains control characters or bytes that are not UTF-8.")
    if any(unicodedata.category(ch) == "Cf" and ch not in _INVISIBLE_OK for ch in relative):
        raise BadInputError("The file name contains invisible formatting characters (a right-to-left override).")
    normal = unicodedata.normalize("NFC", relative)
    if any(len(part.encode("utf-8")) > MAX_NAME_SEGMENT_BYTES for part in normal.split("/")):
        raise BadInputError(f"The file name is longer than {MAX_NAME_SEGMENT_BYTES} bytes; shorten it, upload again.")
    return normal


@dataclass(frozen=True)
class AssetKeys:
    """Every key that belongs to one uploaded file."""

    input_key: str  # inputs/course1/intro.mp4
    name: str  # course1/intro
    extension: str  # ".mp4" (as uploaded, may be empty)

    @classmethod
    def for_input(cls, input_key: str) -> AssetKeys:
        check_key(input_key)
        if not input_key.startswith(INPUTS):
            raise BadInputError(f"Only uploads under {INPUTS} are processed, not {input_key!r}.")
        relative = asset_path(input_key[len(INPUTS) :])
        folder, base = posixpath.split(relative)
        stem, ext = posixpath.splitext(base)
        if not stem:  # ".mp4" style names have no stem; keep the whole name
            stem, ext = base, ""
        return cls(input_key=input_key, name=posixpath.join(folder, stem), extension=ext)

    @property
    def original(self) -> str:
        return f"{ORIGINAL}{self.name}{self.extension}"

    @property
    def manifest(self) -> str:
        return f"{JSON}{self.name}.json"

    @property
    def thumbnail(self) -> str:
        return f"{THUMBNAIL}{self.name}.jpg"

    @property
    def audio(self) -> str:
        return f"{AUDIOVIDEO}{self.name}.mp3"

    @property
    def rendition_base(self) -> str:
        """Key prefix a transcoder appends a name modifier and extension to."""
        return f"{AUDIOVIDEO}{self.name}"

    def staging_base(self, token: str) -> str:
        """Where a job writes its outputs before they are published under ``audiovideo/``."""
        return f"{STAGING}{token}/{self.name}"

    @property
    def hls_master(self) -> str:
        """The HLS master playlist of the CMAF stream (``audiovideo/course1/intro.m3u8``)."""
        return f"{self.rendition_base}.m3u8"

    @property
    def dash_manifest(self) -> str:
        """The DASH MPD of the CMAF stream, over the same segments as the HLS playlists."""
        return f"{self.rendition_base}.mpd"

    def rendition(self, modifier: str, extension: str = ".mp4") -> str:
        return f"{self.rendition_base}{modifier}{extension}"

    def caption(self, language: str | None = None) -> str:
        """``closed-caption/<name>.vtt``, or ``<name>.<language>.vtt`` for a BCP 47 tag."""
        if language is not None and not is_language_suffix(language):
            raise ValueError(f"{language!r} is not a language tag")
        suffix = f".{language}" if language else ""
        return f"{CLOSED_CAPTION}{self.name}{suffix}.vtt"


_LANGUAGE_TAG = re.compile(r"^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def is_language_suffix(text: str) -> bool:
    """Whether ``text`` has the shape of a language tag (letters, digits, ``-``): no ``.`` or ``/``."""
    return bool(_LANGUAGE_TAG.match(text))


def published_key(staging_key: str) -> str:
    """``staging/<token>/course1/intro_720p.mp4`` -> ``audiovideo/course1/intro_720p.mp4``."""
    if not staging_key.startswith(STAGING) or staging_key.count("/") < 2:
        raise ValueError(f"{staging_key!r} is not a staging key")
    return AUDIOVIDEO + staging_key[len(STAGING):].split("/", 1)[1]


def manifest_key(name: str) -> str:
    """The manifest key of an asset name (``course1/intro`` -> ``json/course1/intro.json``)."""
    return f"{JSON}{name}.json"
