"""Camera source URLs: which kinds Vigil reads, validation, and credential handling.

Credentials never live inside a stored URL: they are split into the camera's own fields and
put back only at connection time, so a URL can always be logged or shown as it is stored.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError

STREAM_SCHEMES = {"rtsp", "rtsps"}
HTTP_SCHEMES = {"http", "https"}
FILE_SCHEME = "file"
DEVICE_SCHEME = "device"  # device://0 is the first USB/V4L camera of an edge machine
ALLOWED_SCHEMES = STREAM_SCHEMES | HTTP_SCHEMES | {FILE_SCHEME, DEVICE_SCHEME}


class BlockedHost(ValueError):
    """A camera host that is, or resolves to, an address cameras must never reach."""


def address_blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is in ``VIGIL_CAMERA_BLOCKED_NETWORKS`` (link-local, cloud metadata)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:169.254.169.254 is the same metadata server
    return any(address in network for network in settings.CAMERA_BLOCKED_NETWORKS)


def host_refuse_blocked(url: str) -> None:
    """Resolve the URL's host as a connection would, and raise ``BlockedHost`` if any address is blocked.

    Called just before connecting, so a name that points at an instance-metadata address (or was
    changed to since the camera was saved) is refused. A name that does not resolve passes: the
    connection then fails with its own clear error.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme.lower() not in STREAM_SCHEMES | HTTP_SCHEMES:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address_blocked(address):
            raise BlockedHost(f"{host} resolves to {address}, a link-local or cloud metadata address; refused")


def split_credentials(url: str) -> tuple[str, str, str]:
    """Return ``(url_without_credentials, username, password)``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username or ""), unquote(parts.password or "")


def with_credentials(url: str, username: str, password: str) -> str:
    """The URL to connect with; never log or display the result."""
    if not username:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment))


def masked(url: str, username: str) -> str:
    """The URL as shown to people and logs: the user name, never the password."""
    if not username:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"{quote(username, safe='')}:***@{parts.netloc}", parts.path, parts.query, ""))


def local_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path)).resolve()


def validate_source_url(url: str) -> None:
    """Raise ``ValidationError`` with a clear message for a URL Vigil must not or cannot read."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a non-numeric port
    except ValueError as exc:
        raise ValidationError(f"This is not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        allowed = ", ".join(f"{s}://" for s in sorted(ALLOWED_SCHEMES))
        shown = f"'{scheme}://'" if scheme else "none"
        raise ValidationError(f"Unsupported URL scheme {shown}: use one of {allowed}.")
    if scheme == FILE_SCHEME:
        _validate_local_file(url)
    elif scheme == DEVICE_SCHEME:
        if not (parts.netloc or parts.path.strip("/")).isdigit():
            raise ValidationError("A device URL names the camera's index, e.g. device://0.")
    else:
        _validate_network_host(parts.hostname)


def _validate_local_file(url: str) -> None:
    path = local_path(url)
    folders = [Path(folder) for folder in settings.SOURCE_FOLDERS]
    if not any(path.is_relative_to(folder) for folder in folders):
        listed = ", ".join(str(folder) for folder in folders) or "(none configured)"
        raise ValidationError(
            f"Local files must be under the configured media folders ({listed}); set VIGIL_SOURCE_FOLDERS to add one."
        )
    if not path.is_file():
        raise ValidationError(f"No such file: {path}.")


def _validate_network_host(host: str | None) -> None:
    if not host:
        raise ValidationError("The URL has no host name.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a host name; it is checked again when it is resolved for a connection
    if address_blocked(address):
        raise ValidationError("Link-local and cloud metadata addresses are not allowed as camera hosts.")
