"""The MediaInfo child process: see :mod:`avpipe.analysis.isolated` for the protocol.

It loads libmediainfo, confines itself (no network, an empty root where permitted) and
parses a file object whose reads are requests to the parent; it opens nothing itself.
"""

from __future__ import annotations

import io
import json
import struct
import sys
from typing import IO

from avpipe.analysis.isolated import BUFFER_SIZE, MAX_READ, MEDIAINFO_OPTIONS, send
from avpipe.analysis.sandbox import confine


class _PipeFile(io.RawIOBase):
    """The child's view of the upload: a seekable file whose reads go to the parent."""

    def __init__(self, requests: IO[bytes], answers: IO[bytes]) -> None:
        super().__init__()
        self.requests, self.answers = requests, answers
        self.size = struct.unpack(">Q", _exactly(answers, 8))[0]
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def read(self, size: int | None = -1) -> bytes:
        wanted = self.size - self.position if size is None or size < 0 else size
        wanted = min(wanted, max(0, self.size - self.position), MAX_READ)
        if wanted <= 0:
            return b""
        send(self.requests, b"R" + struct.pack(">QI", self.position, wanted))
        data = _exactly(self.answers, struct.unpack(">I", _exactly(self.answers, 4))[0])
        self.position += len(data)
        return data


def _exactly(pipe: IO[bytes], n: int) -> bytes:
    data = pipe.read(n)
    if len(data) != n:
        raise EOFError("the parent closed the pipe")
    return data


def main(argv: list[str]) -> int:
    """``python -m avpipe.analysis.mediainfo_child EMPTY_DIR CPU_SECONDS CONFINE``: parse the piped file."""
    answers, requests = sys.stdin.buffer, sys.stdout.buffer
    try:
        from pymediainfo import MediaInfo

        MediaInfo.can_parse()  # load libmediainfo before the file system disappears
    except (ImportError, OSError) as exc:
        message = str(exc).encode()
        send(requests, b"E" + struct.pack(">I", len(message)) + message)
        return 1
    confined = confine(argv[1], int(argv[2]), namespaces=argv[3] == "1")
    source = _PipeFile(requests, answers)
    info = MediaInfo.parse(source, encoding_errors="replace", mediainfo_options=MEDIAINFO_OPTIONS,
                           buffer_size=BUFFER_SIZE)
    tracks = [track.to_data() for track in info.tracks]
    payload = json.dumps({"tracks": tracks, "confined": confined}, default=str).encode()
    send(requests, b"D" + struct.pack(">I", len(payload)) + payload)
    return 0


if __name__ == "__main__":  # pragma: no cover - runs in the child process
    sys.exit(main(sys.argv))
