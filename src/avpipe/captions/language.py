"""Language tags of caption tracks: validated BCP 47, in canonical form.

A track's language becomes part of a published file name (``talk.fr.vtt``), so it
must be a tag and nothing else. ``langcodes`` (maintained, no dependencies) checks
that a tag is well formed *and* made of registered subtags, and gives its canonical
form (``EN-us`` -> ``en-US``, ``eng`` -> ``en``): tags that differ only in case or
spelling name the same language, and so the same track and file. A canonical tag
holds only ASCII letters, digits and ``-``. ``und`` (undetermined) is what a track
without a declared language is; it is kept as ``None`` here.
"""

from __future__ import annotations

import re

import langcodes

from avpipe.errors import CaptionError

UNDETERMINED = "und"
_SAFE_TAG_RE = re.compile(r"^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def canonical_language(tag: str | None, format_name: str) -> str | None:
    """The canonical form of a declared tag; None for none or ``und``; else CaptionError."""
    if tag is None or not tag.strip():
        return None
    tag = tag.strip()
    canonical = langcodes.standardize_tag(tag) if _is_valid(tag) else None
    if canonical is None or not _SAFE_TAG_RE.match(canonical):
        raise CaptionError(
            f"The {format_name} file declares a language that is not a valid BCP 47 language tag."
        )
    return None if canonical == UNDETERMINED else canonical


def _is_valid(tag: str) -> bool:
    try:
        return bool(langcodes.tag_is_valid(tag))
    except (ValueError, LookupError):
        return False
