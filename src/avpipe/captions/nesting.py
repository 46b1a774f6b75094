"""Refuse caption markup nested deeper than any real caption file, before it is parsed.

pycaption builds a BeautifulSoup tree of a DFXP or SAMI file and then walks it
recursively; a file of a few hundred kilobytes made of nothing but nested tags takes
minutes and ends in a ``RecursionError``. :func:`reject_deep_nesting` walks the tags
once with the standard library's ``html.parser`` (the tokenizer pycaption itself
feeds), fed in slices, and keeps only the stack of open elements, which it never
lets grow past :data:`MAX_MARKUP_DEPTH`: its memory is bounded whatever the file.

The stack follows what the parsers beneath pycaption will build: in DFXP an element
stays open until its end tag (an end tag closes up to the last element of that
name); in SAMI, as in pycaption's ``SAMIParser``, a start tag first closes an open
element of the same name, so ``<SYNC>`` and ``<P>`` without end tags do not nest.
Void HTML elements (``<br>``) never open.
"""

from __future__ import annotations

from html.parser import HTMLParser

from avpipe.captions.model import CaptionFormat
from avpipe.errors import CaptionError

#: Real caption files nest a handful of levels (tt/body/div/p/span/span, or
#: sami/body/sync/p/font/i); pycaption's recursion is safe far beyond this.
MAX_MARKUP_DEPTH = 100
_FEED_CHARS = 64 * 1024
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})


class _TooDeep(Exception):
    """Raised from inside the scanner to stop at the first element past the limit."""


def reject_deep_nesting(text: str, caption_format: CaptionFormat) -> None:
    """Raise :class:`CaptionError` if DFXP or SAMI markup nests past :data:`MAX_MARKUP_DEPTH`."""
    if caption_format not in (CaptionFormat.DFXP, CaptionFormat.SAMI):
        return
    scanner = _DepthScanner(same_name_closes=caption_format is CaptionFormat.SAMI)
    try:
        for start in range(0, len(text), _FEED_CHARS):
            scanner.feed(text[start : start + _FEED_CHARS])
        scanner.close()
    except _TooDeep:
        raise CaptionError(
            f"The {caption_format.value} file nests its markup more than "
            f"{MAX_MARKUP_DEPTH} levels deep, which avpipe refuses."
        ) from None


class _DepthScanner(HTMLParser):
    def __init__(self, *, same_name_closes: bool) -> None:
        super().__init__(convert_charrefs=False)
        self._same_name_closes = same_name_closes
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        if self._same_name_closes:
            tag = "span" if tag == "div" else tag  # pycaption's SAMIParser does the same
            self._close(tag)
        self._open.append(tag)
        if len(self._open) > MAX_MARKUP_DEPTH:
            raise _TooDeep

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """``<br/>``, ``<span/>``: opened and closed at once."""

    def handle_endtag(self, tag: str) -> None:
        if self._same_name_closes and tag == "div":
            tag = "span"
        self._close(tag)

    def _close(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index] == tag:
                del self._open[index:]
                return
