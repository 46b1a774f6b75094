"""Exactly-once processing of an upload version, with a claim object in the watch store.

S3 delivers events at least once (late, twice, for hours); local watchers restart. Before
any work, a step claims ``claims/<id>.json`` for the upload's (key, version) with an
atomic create (S3 ``If-None-Match: *``, a locked create locally). Whoever holds a live
claim does the work; a finished claim makes re-deliveries no-ops; a claim whose holder
crashed expires (or, locally, is taken over at once when its process is gone) and the
next delivery finishes the job. A holder is ``host:pid:mark``, the mark being the process's
start time (Linux) or a random per-process nonce: a restarted worker with the same host and
pid (pid 1 in a container) is a different process, not the claim's holder. A transient
failure settles as ``retryable``: the next delivery (or the watcher's later retry) takes it.
Claims outlive S3's retry window (they are never deleted by avpipe; a lifecycle rule may
expire ``claims/`` after days).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from avpipe.manifest.model import iso
from avpipe.storage.base import Store

log = logging.getLogger(__name__)
CLAIMS = "claims/"


class ClaimState(StrEnum):
    RUNNING = "running"  # a worker is processing the upload now
    SUBMITTED = "submitted"  # a transcode job runs elsewhere (MediaConvert); completion settles it
    DONE = "done"
    FAILED = "failed"  # final for this version; `avpipe retry` overrides it
    RETRYABLE = "retryable"  # failed for a transient reason: any later delivery takes it over


@dataclass(frozen=True)
class Claim:
    upload: str  # the input key
    version: str  # its ETag / local version
    state: ClaimState
    holder: str  # host:pid of the worker, or the job id
    expires_at: str
    attempts: int = 1
    read: str | None = None  # the store's version of the upload when it was claimed (compare-and-delete)


def claim_key(upload: str, version: str) -> str:
    digest = hashlib.sha256(f"{upload}\0{version}".encode()).hexdigest()[:40]
    return f"{CLAIMS}{digest}.json"


_NONCE = secrets.token_hex(8)  # this process, where its start time cannot be read


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_process_mark(os.getpid()) or _NONCE}"


def _process_mark(pid: int) -> str | None:
    """A process's start time in clock ticks after boot (Linux ``/proc/<pid>/stat`` field 22)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return f"t{fields[19].decode()}" if len(fields) > 19 else None


def acquire(
    store: Store, upload: str, version: str, now: datetime, ttl: timedelta, *, force: bool = False,
    read: str | None = None,
) -> Claim | None:
    """Claim the upload version for this worker; None when it is done, failed or held by a live worker.
    ``read`` is the store's version of the upload now (the event's may differ)."""
    key = claim_key(upload, version)
    fresh = Claim(upload, version, ClaimState.RUNNING, this_holder(), iso(now + ttl), read=read)
    if store.put_if(key, _encode(fresh), version=None):
        return fresh
    current, current_version = _read(store, key)
    if current is None:
        return fresh if store.put_if(key, _encode(fresh), version=None) else None
    if not force and not _takeable(current, now):
        log.info("upload %s (%s) is %s by %s; not processed again", upload, version, current.state, current.holder)
        return None
    (log.info if force else log.warning)("upload %s: taking over a %s claim of %s", upload, current.state,
                                         current.holder)  # a retry asked for takes it over: no news
    taken = replace(fresh, attempts=current.attempts + 1)
    return taken if store.put_if(key, _encode(taken), version=current_version) else None


def settle(store: Store, upload: str, version: str | None, state: ClaimState, now: datetime,
           *, holder: str | None = None, ttl: timedelta = timedelta(days=3650)) -> None:
    """Record the claim's new state (unconditionally: only the claim's holder settles it)."""
    if version is None:
        return
    key = claim_key(upload, version)
    current, _ = _read(store, key)
    attempts = current.attempts if current else 1
    claim = Claim(upload, version, state, holder or this_holder(), iso(now + ttl), attempts,
                  current.read if current else None)
    store.put(key, _encode(claim), content_type="application/json")


def read_version(store: Store, upload: str, version: str | None) -> str | None:
    """The store's version of the upload recorded when ``version`` was claimed (None if unknown)."""
    if version is None:
        return None
    claim, _ = _read(store, claim_key(upload, version))
    return claim.read if claim is not None else None


def release(store: Store, upload: str, version: str | None) -> None:
    """Give up a claim whose outcome could not be recorded (a full disk): the next try takes it."""
    if version is not None:
        try:
            store.delete(claim_key(upload, version))
        except OSError as exc:
            log.error("the claim on %s could not be released either: %s", upload, exc)


def _takeable(claim: Claim, now: datetime) -> bool:
    """A claim can be taken over when its holder is gone: its process has ended (same host),
    or, for holders elsewhere, its time has run out."""
    if claim.state in (ClaimState.DONE, ClaimState.FAILED):
        return False
    if claim.state is ClaimState.RETRYABLE:
        return True
    host, _, rest = claim.holder.partition(":")
    pid, _, mark = rest.partition(":")
    if claim.state is ClaimState.RUNNING and host == socket.gethostname() and pid.isdigit():
        holder_gone = _holder_gone(int(pid), mark)
        if holder_gone is not None:
            return holder_gone
    return claim.expires_at <= iso(now)


def _holder_gone(pid: int, mark: str) -> bool | None:
    """Whether the local process that wrote a claim has ended; None when it cannot be told."""
    if pid == os.getpid():  # our pid, another mark: an earlier run (a restarted container's pid 1)
        return mark != (_process_mark(pid) or _NONCE)
    if not _alive(pid):
        return True
    current = _process_mark(pid)
    if mark and current is not None:
        return mark != current  # the pid was reused by another process
    return None  # alive, and nothing tells it from its predecessor: the claim's TTL decides


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(store: Store, key: str) -> tuple[Claim | None, str | None]:
    try:
        version = store.stat(key).etag
        raw = store.read_bytes(key)
    except FileNotFoundError:
        return None, None
    try:
        data = json.loads(raw)
        data["state"] = ClaimState(data["state"])
        return Claim(**data), version
    except (ValueError, TypeError, KeyError):
        log.warning("claim %s is unreadable; treating it as expired", key)
        return Claim("", "", ClaimState.RUNNING, "?", "1970-01-01T00:00:00.000Z"), version


def _encode(claim: Claim) -> bytes:
    return json.dumps(asdict(claim)).encode()
