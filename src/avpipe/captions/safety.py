"""Refuse markup that could make a caption parser reach outside the file.

What pycaption 2.3 does with the two markup formats:

* DFXP/TTML is parsed with the standard library's ``html.parser`` (through
  BeautifulSoup). It never reads a DTD, so ``<!ENTITY>`` declarations are neither
  resolved (no XXE) nor expanded (no billion laughs); a reference such as
  ``&secret;`` stays in the text as it was written.
* SAMI goes through ``html.parser`` and lxml's HTML parser, which do not expand
  declared entities either, but its ``<STYLE>`` block is handed to cssutils, whose
  default fetcher *does* follow ``@import url(...)`` -- ``file://`` and ``http://``
  alike -- while the file is parsed.

So avpipe refuses entity declarations outright (they have no business in a caption
file and would otherwise leak into cue text) and refuses any at-rule in a SAMI
style block before pycaption sees the file.
"""

from __future__ import annotations

import re

from avpipe.captions.model import CaptionFormat
from avpipe.errors import CaptionError

_ENTITY_DECLARATION_RE = re.compile(r"<!ENTITY", re.IGNORECASE)
_STYLE_BLOCK_RE = re.compile(r"<style\b(?P<body>.*?)(?:</style|\Z)", re.IGNORECASE | re.DOTALL)
_MARKUP_FORMATS = frozenset({CaptionFormat.DFXP, CaptionFormat.SAMI})


def reject_unsafe_markup(text: str, caption_format: CaptionFormat) -> None:
    """Raise :class:`CaptionError` for markup that could read other files or hosts."""
    if caption_format not in _MARKUP_FORMATS:
        return
    name = caption_format.value
    if _ENTITY_DECLARATION_RE.search(text):
        raise CaptionError(
            f"The {name} file contains XML entity declarations, which avpipe refuses."
        )
    if caption_format is CaptionFormat.SAMI and _has_style_at_rule(text):
        raise CaptionError(
            "The SAMI file's style block contains a CSS at-rule such as @import, "
            "which avpipe refuses."
        )


def _has_style_at_rule(text: str) -> bool:
    """Whether any <STYLE> block holds an '@' (at-rules, escaped ones included)."""
    return any("@" in match.group("body") for match in _STYLE_BLOCK_RE.finditer(text))
