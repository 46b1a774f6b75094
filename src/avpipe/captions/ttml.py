"""Prepare a DFXP/TTML document for pycaption's DFXPReader, and count its cues.

Three gaps in pycaption 2.3's DFXPReader are closed here, before it parses:

* It keys the cues of each ``<div>`` by the div's language, so of several divs in
  one language only the last survives. Every top-level div gets a unique key
  instead (``xml:lang="avpipe-div-N"``), and :attr:`TtmlDocument.languages` maps
  the keys back to the language the div really has (its own ``xml:lang``, else
  the ``<body>``'s, else the ``<tt>``'s).
* It only finds unprefixed elements, so a document written as ``<tt:tt>``,
  ``<tt:p>`` is read as empty. The root's prefix is removed from every tag.
* For every cue it looks up the ``<styling>`` element from the top of the
  document; without one, each lookup walks the whole document, which makes
  reading quadratic (5,000 cues took half a minute). An empty ``<styling>`` is
  added right after the root's start tag when the document has none.

The scan uses the same ``html.parser`` pycaption parses with, so both see the same
tags. It also counts the ``<p>`` elements with text per language, which lets the
caller check that no cue was lost. Nested divs are left as they are (their cues
belong to more than one div), and the count check decides whether pycaption's
reading of them can be trusted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

_DIV_KEY_PREFIX = "avpipe-div-"
_LANG_ATTRIBUTE_RE = re.compile(
    r"\s+xml:lang\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>/=`]+)", re.IGNORECASE
)
_TAG_NAME_RE = re.compile(r"^<[^\s/>]+")


@dataclass(frozen=True)
class TtmlDocument:
    """A TTML text ready for pycaption, with what is needed to name and check its tracks.

    ``languages`` maps each div key written into ``text`` to its language; it is
    empty when the divs were left alone (nested divs), and pycaption's own keys
    apply. ``declared`` holds every ``xml:lang`` value of the document;
    ``default_language`` is the language of cues outside any declared one.
    ``expected_cues`` counts the ``<p>`` elements with text per language.
    """

    text: str
    languages: dict[str, str | None]
    declared: frozenset[str]
    default_language: str | None
    expected_cues: Counter[str | None] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    replacement: str


def prepare_ttml(text: str) -> TtmlDocument:
    """Rewrite ``text`` so pycaption reads every cue; see the module docstring."""
    scanner = _TtmlScanner(text)
    scanner.feed(text)
    scanner.close()
    edits = list(scanner.prefix_edits)
    if not scanner.has_styling and scanner.root_end is not None:
        edits.append(_Edit(scanner.root_end, scanner.root_end, "<styling></styling>"))
    languages: dict[str, str | None] = {}
    if not scanner.nested:
        edits = [edit for edit in edits if edit.start not in scanner.div_tags]
        for number, (start, (tag_text, language)) in enumerate(sorted(scanner.div_tags.items())):
            key = f"{_DIV_KEY_PREFIX}{number}"
            languages[key] = language
            new_tag = _with_language(scanner.strip_prefix(tag_text), key)
            edits.append(_Edit(start, start + len(tag_text), new_tag))
    return TtmlDocument(
        text=_apply(text, edits),
        languages=languages,
        declared=frozenset(scanner.declared),
        default_language=scanner.body_language or scanner.tt_language,
        expected_cues=scanner.cue_counts,
    )


def _with_language(tag_text: str, key: str) -> str:
    without = _LANG_ATTRIBUTE_RE.sub("", tag_text)
    name = _TAG_NAME_RE.match(without)
    split_at = name.end() if name else len("<div")
    return f'{without[:split_at]} xml:lang="{key}"{without[split_at:]}'


def _apply(text: str, edits: list[_Edit]) -> str:
    pieces = []
    position = 0
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end)):
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


class _TtmlScanner(HTMLParser):
    """One pass over the tags: prefix, languages, divs and cue counts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self._text = text
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.prefix: str | None = None
        self.tt_language: str | None = None
        self.body_language: str | None = None
        self.declared: set[str] = set()
        self.div_tags: dict[int, tuple[str, str | None]] = {}
        self.prefix_edits: list[_Edit] = []
        self.nested = False
        self.has_styling = False
        self.root_end: int | None = None
        self.cue_counts: Counter[str | None] = Counter()
        self._open_divs: list[str | None] = []
        self._cue_text: list[str] | None = None
        self._cue_language: str | None = None

    def strip_prefix(self, tag_text: str) -> str:
        if not self.prefix:
            return tag_text
        closing = tag_text.startswith("</")
        return ("</" if closing else "<") + tag_text[len(self.prefix) + (3 if closing else 2) :]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = self._local_name(tag, self.get_starttag_text() or "", is_start=True)
        language = self._declared_language(attrs)
        if name == "tt" and self.root_end is None:
            self.tt_language = language
            self.root_end = self._offset() + len(self.get_starttag_text() or "")
        elif name == "styling":
            self.has_styling = True
        elif name == "body":
            self.body_language = language
        elif name == "div":
            self._open_div(language)
        elif name == "p":
            self._cue_text = []
            self._cue_language = self._inherited_language()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._close(self._unprefixed(tag))

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        end = self._text.find(">", start)
        self._local_name(tag, self._text[start : end + 1], is_start=False)
        self._close(self._unprefixed(tag))

    def _close(self, name: str) -> None:
        if name == "div" and self._open_divs:
            self._open_divs.pop()
        elif name == "p" and self._cue_text is not None:
            if "".join(self._cue_text).strip():
                self.cue_counts[self._cue_language] += 1
            self._cue_text = None

    def handle_data(self, data: str) -> None:
        if self._cue_text is not None:
            self._cue_text.append(data)

    def _open_div(self, language: str | None) -> None:
        resolved = language or self._inherited_language()
        if self._open_divs:
            self.nested = True
        else:
            tag_text = self.get_starttag_text() or ""
            self.div_tags[self._offset()] = (tag_text, resolved)
        self._open_divs.append(resolved)

    def _inherited_language(self) -> str | None:
        if self._open_divs:
            return self._open_divs[-1]
        return self.body_language or self.tt_language

    def _declared_language(self, attrs: list[tuple[str, str | None]]) -> str | None:
        for key, value in attrs:
            if key == "xml:lang" and value and value.strip():
                self.declared.add(value.strip())
                return value.strip()
        return None

    def _local_name(self, tag: str, tag_text: str, *, is_start: bool) -> str:
        """The tag's name without the TTML prefix, recording the edit that drops it."""
        if self.prefix is None and is_start and (tag == "tt" or tag.endswith(":tt")):
            self.prefix = tag[:-3] if tag.endswith(":tt") else ""
        name = self._unprefixed(tag)
        if self.prefix and name != tag and tag_text:
            start = self._offset()
            self.prefix_edits.append(
                _Edit(start, start + len(tag_text), self.strip_prefix(tag_text))
            )
        return name

    def _unprefixed(self, tag: str) -> str:
        if self.prefix and tag.startswith(self.prefix + ":"):
            return tag[len(self.prefix) + 1 :]
        return tag

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column
