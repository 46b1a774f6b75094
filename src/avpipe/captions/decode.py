"""Turn the bytes of an uploaded caption file into clean text.

Caption files arrive in whatever encoding the authoring tool used: UTF-8 with or
without a byte-order mark, UTF-16 from Windows tools, cp1252 or Latin-1 from old
ones. :func:`decode_caption_bytes` picks the encoding, normalises line endings to
``\\n`` and refuses files that are empty, too large or not text at all. Text that
was UTF-8, misread as cp1252 and saved as UTF-8 again ("cafÃ©") is repaired, as
pycaption's readers do, so that SRT (read by avpipe) and the other formats (read
by pycaption) come out alike.
"""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

from avpipe.captions.model import DEFAULT_MAX_CAPTION_BYTES
from avpipe.errors import CaptionError

logger = logging.getLogger(__name__)

# Longest marks first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Characters that end a line for str.splitlines(), which pycaption uses; turning
# them into "\n" keeps every reader's idea of a line the same.
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"}
# Unicode category Cc, less tab and line feed (carriage returns are gone by then).
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Legacy encodings told apart by charset-normalizer (maintained, pure Python); the
# Western code pages are candidates too, so that an accented Latin text is not taken
# for Chinese. Candidates whose chaos is this close to the best one count as a tie.
_EAST_ASIAN = ("gb18030", "big5", "cp932", "euc_jp", "cp949")
_WESTERN = ("cp1252", "latin_1")
_AMBIGUOUS_CHAOS = 0.1
_C0_CONTROL_RE = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_CONTROL_RATIO = 0.01
_MAX_STRAY_CONTROLS = 2


def decode_caption_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_CAPTION_BYTES) -> str:
    """The text of a caption file, with ``\\n`` line endings and no byte-order mark.

    Raises :class:`CaptionError` when the file is larger than ``max_bytes``, empty
    or blank, or binary (NUL bytes or many control characters).
    """
    if len(data) > max_bytes:
        raise CaptionError(
            f"The caption file is {len(data)} bytes; avpipe reads caption files "
            f"of at most {max_bytes} bytes."
        )
    text = _normalise_line_breaks(_decode(bytes(data)))
    text = _repair_double_encoding(_drop_stray_controls(text))
    if not text.strip():
        raise CaptionError("The caption file is empty.")
    return text


def _decode(data: bytes) -> str:
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode_marked(data[len(mark) :], encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    legacy = _detect_legacy_encoding(data)
    if legacy is not None:
        logger.info("caption file is not UTF-8; decoded it as %s", legacy)
        return data.decode(legacy)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    logger.debug("caption file is not UTF-8; decoded it as a Windows/Latin-1 code page")
    return text


def _detect_legacy_encoding(data: bytes) -> str | None:
    """An East-Asian multi-byte encoding charset-normalizer is sure of; None for a Western one.

    CaptionError when the file looks like a non-Latin script (more bytes above 0x7F
    than ASCII letters) but no one encoding fits clearly better than the others.
    """
    matches = list(charset_normalizer.from_bytes(data, cp_isolation=[*_EAST_ASIAN, *_WESTERN]))
    if matches and matches[0].encoding in _WESTERN:
        return None
    plausible = [m for m in matches if m.chaos <= matches[0].chaos + _AMBIGUOUS_CHAOS] if matches else []
    if plausible and len({str(m) for m in plausible}) == 1:
        return str(plausible[0].encoding)
    high = sum(1 for byte in data if byte > 0x7F)
    letters = sum(1 for byte in data if 0x61 <= (byte | 0x20) <= 0x7A)
    binary = b"\x00" in data or len(_C0_CONTROL_RE.findall(data)) > _MAX_STRAY_CONTROLS
    if not binary and (plausible or high > letters):
        raise CaptionError(
            "The caption file is not UTF-8 and its text encoding could not be determined with "
            "confidence; save it as UTF-8 and upload it again."
        )
    return None


def _decode_marked(data: bytes, encoding: str) -> str:
    """Decode as the byte-order mark says; a character cut off at the very end is dropped.

    The end of a file's first kilobytes, read to sniff its format, often splits a
    character; a whole file cut short loses nothing more than that character.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return str(decoder.decode(data, final=False))
    except UnicodeDecodeError as exc:
        name = encoding.upper().removesuffix("-LE").removesuffix("-BE")
        raise CaptionError(
            f"The caption file starts with a {name} byte-order mark but is not valid {name}."
        ) from exc


def _normalise_line_breaks(text: str) -> str:
    text = text.removeprefix("\ufeff")
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    return text


def _drop_stray_controls(text: str) -> str:
    """Refuse binary data; drop the odd control character a text file may carry."""
    if "\x00" in text:
        raise CaptionError("The caption file is binary data, not text.")
    cleaned, count = _CONTROL_RE.subn("", text)
    if count > _MAX_STRAY_CONTROLS and count > _MAX_CONTROL_RATIO * len(text):
        raise CaptionError("The caption file is binary data, not text.")
    if count:
        logger.debug("dropped %d control characters from a caption file", count)
    return cleaned


def _repair_double_encoding(text: str) -> str:
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text
    if repaired != text:
        logger.info("repaired double-encoded UTF-8 in a caption file")
    return repaired
