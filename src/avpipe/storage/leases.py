"""Whether another process still has a file open for writing: Linux file leases.

The kernel refuses a read lease (``F_SETLEASE`` with ``F_RDLCK``) with ``EAGAIN`` while any
process has the file open for writing; the lease is dropped again at once. One ``open`` and
two ``fcntl`` calls per file, and only for files that have already been quiet for the quiet
period. Chosen over scanning ``/proc/*/fd`` (every descriptor of every process on each poll,
and blind to other users' processes without privileges) and over inotify (a watch per folder
held for the life of the loop, nothing known about files opened before it started).

Limits: a lease needs the caller to own the file (or ``CAP_LEASE``), and some filesystems
(NFS, FUSE) have none; there the answer is False and the quiet period decides alone.

Should a writer open the file during the microseconds the lease is held, the kernel signals
the lease holder: ``SIGIO`` by default, which would end this process. The lease is set up to
signal ``SIGURG`` instead, which is ignored unless a program asks for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Iterator


def open_for_writing(path: str | os.PathLike[str]) -> bool:
    """True while some process has ``path`` open for writing, where the platform can tell."""
    if not hasattr(fcntl, "F_SETLEASE") or not hasattr(fcntl, "F_SETSIG"):
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        with read_lease(fd):
            return False
    except BlockingIOError:
        return True
    except OSError:  # not our file, or a filesystem without leases
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def read_lease(fd: int) -> Iterator[None]:
    """Hold a read lease on ``fd`` (BlockingIOError while the file is open for writing); a
    writer opening it meanwhile makes the kernel send SIGURG, not the fatal default SIGIO."""
    fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    try:
        yield
    finally:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
