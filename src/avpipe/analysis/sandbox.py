"""Confine the MediaInfo child process: no network, no files, bounded memory and CPU.

Linux only, and only where the kernel lets this process do it: as root, or through an
unprivileged user namespace. The child then sees an empty root directory and a network
namespace with no interfaces, so a reference inside the media (an alias, a URL, a FIFO)
leads nowhere. Where namespaces are not allowed (AWS Lambda, containers without the
capability) the limits still apply and the box and XML screening is the guard.
"""

from __future__ import annotations

import ctypes
import os
import resource

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MEMORY_LIMIT_BYTES = 2 * 1024**3


def _unshare(flags: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.unshare(flags) == 0)
    except (OSError, AttributeError):  # not Linux, or no unshare in this libc
        return False


def confine(empty_dir: str, cpu_s: int, *, namespaces: bool = True) -> bool:
    """Apply every confinement the platform allows; True when namespaces and the empty root took."""
    _limit(resource.RLIMIT_AS, MEMORY_LIMIT_BYTES)
    _limit(resource.RLIMIT_CPU, max(1, cpu_s))
    _limit(resource.RLIMIT_FSIZE, 0)  # it writes no files
    if not namespaces:
        return False
    isolated = _unshare(CLONE_NEWNET | CLONE_NEWNS) if os.geteuid() == 0 else False
    if not isolated:
        isolated = _unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS)
    if not isolated:
        return False
    try:
        os.chroot(empty_dir)
        os.chdir("/")
    except OSError:
        return False
    return True


def _limit(which: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))
    except (ValueError, OSError):  # a limit the platform does not let us lower is left as it is
        pass


__all__ = ["confine"]
