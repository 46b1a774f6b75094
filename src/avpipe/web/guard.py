"""Who may talk to the app: the Host check (DNS rebinding) and the cross-site check (CSRF).

A pure ASGI middleware in front of every route. Request heads over 16 KB or 100 headers get
431 (h11 bounds only heads that arrive in pieces). A request whose ``Host`` is not a loopback
name or one of the configured hosts is answered 421; a state-changing request (anything but
GET/HEAD/OPTIONS) whose ``Origin`` is not this host, or whose ``Sec-Fetch-Site`` says another
site sent it, is answered 403 - whether or not a token is set, since a browser would attach
a stored token-less session all the same.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CROSS_SITE = ("cross-site", "same-site")
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100


def host_name(host: str) -> str:
    """``Example.com:8000`` -> ``example.com``; ``[::1]:80`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def refusal(scope: Scope, allowed_hosts: tuple[str, ...], configured: tuple[str, ...] = ()
            ) -> tuple[int, str] | None:
    """(status, message) when the request must be refused, else None."""
    raw = scope.get("headers", [])
    if len(raw) > MAX_HEADERS or sum(len(k) + len(v) for k, v in raw) > MAX_HEADER_BYTES:
        return 431, "The request headers are too large."
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
    host = headers.get("host", "")
    if host_name(host) not in {host_name(h) for h in allowed_hosts}:
        return 421, "This server does not answer for that host name."
    if scope.get("method", "GET") in SAFE_METHODS:
        return None
    if headers.get("sec-fetch-site", "").lower() in CROSS_SITE:
        return 403, "Requests from other sites are refused."
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, host, configured):
        return 403, "Requests from other sites are refused."
    return None


def _same_origin(origin: str, host: str, configured: tuple[str, ...]) -> bool:
    """The Origin is this host, or a configured host name (a reverse proxy may rewrite Host)."""
    if origin == "null":
        return False
    netloc = urlsplit(origin).netloc.lower()
    return netloc == host.strip().lower() or (bool(netloc) and host_name(netloc) in configured)


class GuardMiddleware:
    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...], configured: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.configured = tuple(host_name(h) for h in configured)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = refusal(scope, self.allowed_hosts, self.configured)
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, message = refused
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
