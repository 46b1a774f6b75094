"""``avpipe serve --web-workers 2``: two uvicorn processes on one socket share nothing in memory."""

from __future__ import annotations

import http.client
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from webclient import multipart

DATA = random.Random(3).randbytes(8 * 20_000)


def post(port: int, name: str, index: int) -> int:
    part = DATA[index * 20_000:(index + 1) * 20_000]
    body, content_type = multipart({"name": name, "chunk": str(index), "chunks": "8",
                                    "total": str(len(DATA))}, part)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/upload", body, {"Content-Type": content_type})
        return conn.getresponse().status
    finally:
        conn.close()


def answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/api/config")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_two_web_processes_assemble_parallel_chunks_once(tmp_path: Path) -> None:
    env = {**os.environ, "AVPIPE_DATA": str(tmp_path / "data")}
    server = subprocess.Popen([sys.executable, "-m", "avpipe", "serve", "--port", "0", "--web-workers", "2",
                               "--poll", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert "avpipe serving on http://127.0.0.1:" in line, server.stderr.read() if server.stderr else line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        deadline = time.monotonic() + 30
        while len(children(server.pid)) < 2:
            assert time.monotonic() < deadline, "the web processes did not start"
            time.sleep(0.1)
        while not answers(port):
            assert time.monotonic() < deadline, "the web processes do not answer"
            time.sleep(0.1)
        names = [f"talk{n}.mp3" for n in range(6)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda job: post(port, *job), [(n, i) for n in names for i in range(8)]))
        assert statuses == [200] * len(statuses)
        inputs = tmp_path / "data" / "watch" / "inputs"
        assert all((inputs / name).read_bytes() == DATA for name in names)
        assert sorted(p.name for p in inputs.iterdir() if p.name != ".keep") == names
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
