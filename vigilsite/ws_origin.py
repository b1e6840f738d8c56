"""The WebSocket origin check: only pages of this very site (scheme, host and port) may open a socket.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host name only, so a page served
from another port or over plain HTTP on the same host (another service, a dev server) could open
a socket with the operator's cookies. This one applies Django's CSRF origin rule to the handshake:
the Origin must equal the request's own origin (``http(s)://`` + Host, the scheme taken from the
TLS proxy header as ``request.is_secure()`` does) or be listed in ``CSRF_TRUSTED_ORIGINS``, and
the Host must be one of ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

Origin = tuple[str, str, int]  # scheme, lower-case host name, port (default ports filled in)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_parse(value: str) -> Origin | None:
    """``("https", "vigil.example.org", 443)`` for ``https://vigil.example.org``; None for anything else."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return None


def _is_secure(scope: dict[str, Any]) -> bool:
    """As ``HttpRequest.is_secure()``: the TLS proxy's header when configured, else the socket's scheme."""
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        value = _header(scope, header.removeprefix("HTTP_").lower().replace("_", "-").encode())
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "ws") in ("wss", "https")


def _host(scope: dict[str, Any]) -> str | None:
    """The Host the browser asked for (as ``HttpRequest.get_host()``), or None when it is not allowed."""
    host = None
    if settings.USE_X_FORWARDED_HOST:
        host = _header(scope, b"x-forwarded-host")
    host = host or _header(scope, b"host")
    if not host:
        return None
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # Django's own DEBUG default
    domain, _ = split_domain_port(host)
    return host if domain and validate_host(domain, allowed) else None


def _trusted(origin: Origin) -> bool:
    """In ``CSRF_TRUSTED_ORIGINS``: exactly, or under a ``https://*.example.org`` entry."""
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = origin_parse(entry.replace("://*.", "://", 1) if wildcard else entry)
        if trusted is None or trusted[0] != origin[0] or trusted[2] != origin[2]:
            continue
        if origin[1] == trusted[1] or (wildcard and is_same_domain(origin[1], "." + trusted[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether this handshake comes from a page of this site (or a trusted origin) to an allowed Host."""
    host = _host(scope)
    origin = origin_parse(_header(scope, b"origin") or "")
    if host is None or origin is None:
        return False  # browsers always send both; a client without them is no page of ours
    own = origin_parse(f"{'https' if _is_secure(scope) else 'http'}://{host}")
    return origin == own or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: refuse the handshake (HTTP 403) unless :func:`origin_allowed`."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator only guards WebSocket connections")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
