"""Caption files in, WebVTT out.

One data model sits in the middle -- pycaption's ``CaptionSet`` -- with a reader per
source format around it and pycaption's WebVTT writer on the way out::

    bytes --decode_caption_bytes--> text --detect_caption_format--> CaptionFormat
          --reader (pycaption's, or avpipe's own for SRT)--> CaptionSet per language
          --WebVTTWriter + completeness check--> VttTrack per language

WebVTT uploads skip the model: they are parsed as the spec parses them and written
back normalised (vtt.py), with pycaption's reading as a check. Markup nested too
deeply is refused before any parser sees it (nesting.py); languages are canonical
BCP 47 tags (language.py).

Everything here is pure: no files, no storage, no network -- except
:func:`convert_isolated`, which runs the same conversion in a child process with a
time limit (the pipeline uses it for uploads). Every failure is an
:class:`avpipe.errors.CaptionError` whose message is one sentence for the uploader.
"""

from avpipe.captions.convert import convert_to_webvtt
from avpipe.captions.decode import decode_caption_bytes
from avpipe.captions.detect import detect_caption_format
from avpipe.captions.isolated import convert_isolated
from avpipe.captions.model import (
    DEFAULT_CAPTION_TIMEOUT_S,
    DEFAULT_MAX_CAPTION_BYTES,
    CaptionConversion,
    CaptionFormat,
    VttTrack,
)

__all__ = [
    "DEFAULT_CAPTION_TIMEOUT_S",
    "DEFAULT_MAX_CAPTION_BYTES",
    "CaptionConversion",
    "CaptionFormat",
    "VttTrack",
    "convert_isolated",
    "convert_to_webvtt",
    "decode_caption_bytes",
    "detect_caption_format",
]
