"""Run MediaInfo in a child process that can only read the one upload, through a pipe.

The parent (:func:`parse_tracks`) starts ``python -m avpipe.analysis.mediainfo_child``, which
loads libmediainfo, confines itself (:mod:`avpipe.analysis.sandbox`: no network, an
empty root) and parses a file object whose every read is a request to the parent. The
parent answers from the local file or the ranged HTTP reader and nothing else, and
stops the child after ``timeout_s``: a hang or a crash costs one upload, and no
process-wide lock is held while MediaInfo works.

Protocol (child -> parent): ``R`` offset(8) length(4) asks for bytes, answered with
length(4) + data; ``D`` length(4) + JSON is the result; ``E`` length(4) + text an error.
The parent first sends the file size (8 bytes).
"""

from __future__ import annotations

import json
import logging
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import IO, Any

from avpipe.analysis.isobmff import ReadAt
from avpipe.errors import BadInputError, ConfigurationError

log = logging.getLogger(__name__)

# Analyse the one file given: never sum numbered siblings (clip1.ts, clip2.ts...) as a sequence.
# ParseSpeed 0: read the headers/index and a few frames, not the media data. At the default
# (0.5) MediaInfo reads every byte of an MP4 whose moov comes last (a 1 GB camera file:
# 1 GB read, over the network for an S3 object); the facts avpipe uses are the same.
MEDIAINFO_OPTIONS = {"File_TestContinuousFileNames": "0", "ParseSpeed": "0"}
DEFAULT_TIMEOUT_S = 60.0
MAX_READ = 4 * 1024 * 1024  # the most one request may ask for
BUFFER_SIZE = 256 * 1024
_UNREADABLE = "MediaInfo could not analyse the file"
# Where namespaces are not permitted, libcurl (which MediaInfo loads to follow URLs) is sent to a
# closed loopback port instead of the network.
_NOWHERE = "http://127.0.0.1:9"
_NO_NETWORK_ENV = {name: _NOWHERE for name in ("ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                                               "https_proxy", "FTP_PROXY", "ftp_proxy")}


@dataclass(frozen=True)
class Analysis:
    """What the child reported: MediaInfo's tracks, and whether namespaces confined it."""

    tracks: list[dict[str, Any]]
    confined: bool


def parse_tracks(read: ReadAt, size: int, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict[str, Any]]:
    """MediaInfo's tracks (``Track.to_data()`` dictionaries) for the file ``read`` serves."""
    return analyse(read, size, timeout_s=timeout_s).tracks


def analyse(read: ReadAt, size: int, *, timeout_s: float = DEFAULT_TIMEOUT_S, confine: bool = True) -> Analysis:
    """Run the child on the file ``read`` serves; ``confine=False`` skips the namespaces (tests
    use it to show the timeout on its own)."""
    with tempfile.TemporaryDirectory(prefix="avpipe-mediainfo-") as empty, tempfile.TemporaryFile() as errors:
        argv = [sys.executable, "-m", "avpipe.analysis.mediainfo_child", empty, str(int(timeout_s) + 1),
                "1" if confine else "0"]
        env = {key: value for key, value in os.environ.items() if key.upper() != "NO_PROXY"} | _NO_NETWORK_ENV
        with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,  # noqa: S603
                              env=env) as proc:
            try:
                result = _serve(proc, read, size, time.monotonic() + timeout_s, timeout_s)
            finally:
                if proc.poll() is None:
                    proc.kill()
        errors.seek(0)
        diagnostics = errors.read(4096).decode("utf-8", "replace").strip()
        if diagnostics:
            log.debug("MediaInfo child said: %s", diagnostics)
    confined = bool(result.get("confined"))
    if not confined:
        log.debug("MediaInfo ran without namespaces (not permitted here); limits and screening still apply")
    return Analysis(list(result["tracks"]), confined)


def _serve(proc: subprocess.Popen[bytes], read: ReadAt, size: int, deadline: float,
           timeout_s: float) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    channel = _Channel(proc.stdout.fileno(), deadline, timeout_s)
    try:
        send(proc.stdin, struct.pack(">Q", size))
        while True:
            tag = channel.take(1)
            if tag == b"R":
                offset, length = struct.unpack(">QI", channel.take(12))
                data = read(offset, min(length, MAX_READ)) if offset < size else b""
                send(proc.stdin, struct.pack(">I", len(data)) + data)
            elif tag in (b"D", b"E"):
                payload = channel.take(struct.unpack(">I", channel.take(4))[0])
                if tag == b"E":
                    log.error("the MediaInfo child could not load the library: %s", payload.decode("utf-8", "replace"))
                    raise ConfigurationError("MediaInfo could not be loaded in the analysis process.")
                parsed: dict[str, Any] = json.loads(payload)
                return parsed
            else:
                raise BadInputError(f"{_UNREADABLE}: it stopped while reading it.")
    except BrokenPipeError as exc:
        raise BadInputError(f"{_UNREADABLE}: it stopped while reading it.") from exc


class _Channel:
    """Reads exactly n bytes from the child before the deadline."""

    def __init__(self, fd: int, deadline: float, timeout_s: float) -> None:
        self.fd, self.deadline, self.timeout_s = fd, deadline, timeout_s

    def take(self, n: int) -> bytes:
        parts, wanted = [], n
        while wanted > 0:
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(0.0, left))
            if not ready:
                raise BadInputError(f"{_UNREADABLE} within {self.timeout_s:g} s; it was stopped.")
            chunk = os.read(self.fd, min(wanted, 1 << 20))
            if not chunk:
                return b""  # the child is gone
            parts.append(chunk)
            wanted -= len(chunk)
        return b"".join(parts)


def send(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(data)
    pipe.flush()
