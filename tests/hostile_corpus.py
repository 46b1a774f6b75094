"""A corpus of broken and hostile uploads shared by the CLI and web tests, and a loopback
listener that proves no request left ffmpeg or MediaInfo."""

from __future__ import annotations

import socket
import sys
import threading
import zipfile
from pathlib import Path

from media import MediaLibrary

CAPTIONS = Path(__file__).parent / "data" / "captions"
SECRET = "avpipe-secret-canary-7f3a"


class Listener:
    """A TCP listener on loopback that counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()


def corpus(folder: Path, media: MediaLibrary, listener: Listener, secret_file: Path) -> dict[str, Path]:
    files: dict[str, bytes] = {
        "empty.mp4": b"",
        "notes.mp4": b"just some text, not a video\n" * 20,
        "page.mov": b"<!DOCTYPE html><html><body><video src='x.mp4'></video></body></html>",
        "remote.mp4": f"#EXTM3U\n#EXTINF:1,\n{listener.url}/seg.ts\n#EXT-X-ENDLIST\n".encode(),
        "local.mp4": f"#EXTM3U\n#EXTINF:1,\n{secret_file}\n".encode(),
        "concat.mkv": f"ffconcat version 1.0\nfile '{secret_file}'\n".encode(),
        "remote-concat.mp4": f"ffconcat version 1.0\nfile '{listener.url}/a.mp4'\n".encode(),
        "program.mp4": Path(sys.executable).read_bytes()[:200_000],
        "empty.srt": b"",
        "binary.srt": bytes(range(256)) * 10,
        "xxe.dfxp": (CAPTIONS / "xxe.dfxp").read_bytes(),
        "bomb.dfxp": (CAPTIONS / "bomb.dfxp").read_bytes(),
        "broken.srt": (CAPTIONS / "broken.srt").read_bytes(),
        "huge.srt": b"1\n00:00:01,000 --> 00:00:02,000\n" + b"A" * (6 * 1024 * 1024) + b"\n",
    }
    paths = {}
    for name, body in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(body)
    archive = folder / "archive.mp4"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("movie.mp4", media.tiny.read_bytes())
    paths["archive.mp4"] = archive
    paths["truncated.mp4"] = media.truncated_mp4
    return paths
