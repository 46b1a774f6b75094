"""Convert a caption file in a child process with a time limit.

pycaption's readers grow worse than linearly on some inputs (a 5 MB SAMI file ran
for minutes), so the conversion of an upload runs in a separate Python process,
``python -m avpipe.captions.isolated``: the bytes go in on standard input, the
result comes back as one JSON object on standard output. A child that runs past
the limit is killed (and limits its own CPU time as well); the upload fails as bad
input with one sentence, and the pipeline carries on.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

from avpipe.captions.model import (
    DEFAULT_CAPTION_TIMEOUT_S,
    DEFAULT_MAX_CAPTION_BYTES,
    CaptionConversion,
    CaptionFormat,
    VttTrack,
)
from avpipe.errors import CaptionError

logger = logging.getLogger(__name__)


def convert_isolated(
    data: bytes,
    *,
    timeout_s: float = DEFAULT_CAPTION_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_CAPTION_BYTES,
) -> CaptionConversion:
    """:func:`~avpipe.captions.convert_to_webvtt` in a child process, for at most ``timeout_s``."""
    if len(data) > max_bytes:  # refused here, without starting a process
        raise CaptionError(
            f"The caption file is {len(data)} bytes; avpipe reads caption files "
            f"of at most {max_bytes} bytes."
        )
    command = [sys.executable, "-m", "avpipe.captions.isolated", str(max_bytes), str(timeout_s)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise _too_slow(timeout_s) from None
    try:
        result = json.loads(done.stdout)
    except ValueError:
        logger.warning("caption conversion child exited with %s: %s", done.returncode,
                       done.stderr[-2000:].decode("utf-8", "replace"))
        if done.returncode < 0 or done.returncode == 152:  # killed, e.g. SIGXCPU from its CPU limit
            raise _too_slow(timeout_s) from None
        raise CaptionError("The caption file could not be converted: the converter stopped.") from None
    return _from_json(result)


def _too_slow(timeout_s: float) -> CaptionError:
    return CaptionError(
        f"The caption file took longer than {timeout_s:g} s to convert, which avpipe does not allow."
    )


def _to_json(conversion: CaptionConversion) -> dict[str, Any]:
    tracks = [{"language": t.language, "text": t.text, "cue_count": t.cue_count} for t in conversion.tracks]
    return {"format": conversion.format.name, "tracks": tracks}


def _from_json(result: dict[str, Any]) -> CaptionConversion:
    if "error" in result:
        raise CaptionError(str(result["error"]))
    tracks = tuple(VttTrack(t["language"], t["text"], int(t["cue_count"])) for t in result["tracks"])
    return CaptionConversion(format=CaptionFormat[result["format"]], tracks=tracks)


def _child(max_bytes: int, timeout_s: float) -> dict[str, Any]:
    import resource
    import warnings

    from avpipe.captions.convert import convert_to_webvtt

    cpu = int(timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    warnings.simplefilter("ignore")
    try:
        return _to_json(convert_to_webvtt(sys.stdin.buffer.read(), max_bytes=max_bytes))
    except CaptionError as exc:
        return {"error": str(exc)}
    except MemoryError:
        return {"error": "The caption file needs more memory to convert than avpipe allows."}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_child(int(sys.argv[1]), float(sys.argv[2]))))
