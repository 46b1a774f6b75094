"""SCC as real files are, read with pycaption's SCCReader.

Two gaps in pycaption 2.3 are closed here:

* It wants the ``Scenarist_SCC V1.0`` header as the very first line and skips that
  line unread; files made by many tools have no header, only lines of an
  ``HH:MM:SS:FF`` (or ``;FF`` drop-frame) time code followed by hex words. The header
  is put in front of such a text (and moved to the first line when blank lines precede it).
* Its table of CEA-608 basic characters lacks 0x7F, the solid block (shown as a full
  block, U+2588), so a caption made only of such characters was lost.
"""

from __future__ import annotations

import re

from pycaption import SCCReader
from pycaption.scc.constants import CHARACTERS

SCC_HEADER = "Scenarist_SCC V1.0"
#: A line of SCC data: a time code, then 4-digit hex words.
SCC_LINE_RE = re.compile(
    r"^[0-9]{2}:[0-9]{2}:[0-9]{2}[:;.][0-9]{2}[ \t]+[0-9a-fA-F]{4}(?:[ \t]+[0-9a-fA-F]{4})*[ \t]*$"
)
_CHARACTERS = {**CHARACTERS, "7f": "\u2588"}


def with_header_first(text: str) -> str:
    """``text`` with the SCC header exactly as its first line, added when missing."""
    lines = text.lstrip().split("\n")
    if lines[0].strip() == SCC_HEADER:
        lines[0] = SCC_HEADER
    else:
        lines.insert(0, SCC_HEADER)
    return "\n".join(lines)


class CompleteSCCReader(SCCReader):  # type: ignore[misc]  # pycaption has no type hints
    """pycaption's reader with the whole CEA-608 basic character set."""

    def _translate_characters(self, word: str) -> None:
        first, second = _CHARACTERS.get(word[:2]), _CHARACTERS.get(word[2:])
        if first is not None and second is not None:
            self.buffer.add_chars(first, second)
