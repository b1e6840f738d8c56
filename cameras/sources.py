"""Camera source URLs: which kinds Vigil reads, validation, and credential handling.

Credentials never live inside a stored URL's user part: they are split into the camera's own
fields and put back only at connection time. Credentials in the query string (``?pwd=…``) stay,
since the camera needs them there, and are masked wherever the URL is shown (``masked``).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from core import outbound, redact

STREAM_SCHEMES = {"rtsp", "rtsps"}
HTTP_SCHEMES = {"http", "https"}
FILE_SCHEME = "file"
DEVICE_SCHEME = "device"  # device://0 is the first USB/V4L camera of an edge machine
DEVICE_INDEX_MAX = 63  # /dev/video0../dev/video63: what V4L numbers on one machine
ALLOWED_SCHEMES = STREAM_SCHEMES | HTTP_SCHEMES | {FILE_SCHEME, DEVICE_SCHEME}


BlockedHost = outbound.BlockedAddress  # the policy is every outbound connection's (core/outbound.py)


class UnresolvedHost(ValueError):
    """A camera host that does not resolve (or is no valid name): nothing is connected to."""


def address_blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is in ``VIGIL_OUTBOUND_BLOCKED_NETWORKS`` (link-local, cloud metadata)."""
    return outbound.address_blocked(address)


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
        outbound.resolve_checked(host, parts.port)
    except (socket.gaierror, UnicodeError):
        return


def pinned_url(url: str) -> str:
    """``url`` with its host replaced by the checked address it resolves to (``BlockedHost`` if blocked).

    For ffmpeg's RTSP, which resolves by itself: handed a literal address it connects where the check
    looked, even if the name resolves elsewhere a moment later. A name Python cannot resolve or encode
    raises ``UnresolvedHost``: ffmpeg's own resolver might read it differently, so it never gets an
    unchecked name. The URL is rebuilt from its parsed parts, so ffmpeg reads the same host.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return url
    try:
        family, sockaddr = outbound.resolve_checked(host, parts.port)[0]
    except (socket.gaierror, UnicodeError, IndexError) as exc:
        raise UnresolvedHost(f"{host} does not resolve ({exc or 'no address'}); not connecting") from None
    address = str(sockaddr[0])
    netloc = f"[{address}]" if family == socket.AF_INET6 else address
    if parts.port:
        netloc += f":{parts.port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


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


def password_must_be_retyped(camera, url: str) -> bool:
    """Whether saving ``camera`` with ``url`` would send its stored password to another scheme, host or port.

    The stored password belongs to the address it was typed for; following a host change silently
    would hand it to whoever runs the new host. The caller refuses instead of clearing it, so the
    operator learns why and a mistyped host loses nothing.
    """
    return bool(camera.password) and not redact.same_address(url, camera.source_url)


def masked(url: str, username: str) -> str:
    """The URL as shown to people and logs: the user name, never the password nor a credential parameter."""
    return redact.mask_url(url, username)


def device_index(url: str) -> int:
    """The camera index of a ``device://N`` URL (``ValueError`` unless N is 0..``DEVICE_INDEX_MAX`` in ASCII digits)."""
    parts = urlsplit(url)
    text = parts.netloc or parts.path.strip("/")
    # str.isdigit() takes "²" and other digits int() refuses; a long number overflows OpenCV's C int.
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and int(text) <= DEVICE_INDEX_MAX):
        raise ValueError(
            gettext("A device URL names the camera's index 0 to %(most)s, e.g. device://0.")
            % {"most": DEVICE_INDEX_MAX}
        )
    return int(text)


def local_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path)).resolve()


def validate_source_url(url: str) -> None:
    """Raise ``ValidationError`` with a clear message for a URL Vigil must not or cannot read."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a non-numeric port
    except ValueError as exc:
        raise ValidationError(gettext("This is not a valid URL: %(reason)s.") % {"reason": exc}) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        allowed = ", ".join(f"{s}://" for s in sorted(ALLOWED_SCHEMES))
        shown = f"'{scheme}://'" if scheme else gettext("none")
        raise ValidationError(
            gettext("Unsupported URL scheme %(scheme)s: use one of %(allowed)s.")
            % {"scheme": shown, "allowed": allowed}
        )
    if scheme == FILE_SCHEME:
        _validate_local_file(url)
    elif scheme == DEVICE_SCHEME:
        try:
            device_index(url)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    else:
        _validate_network_host(url)


def _validate_local_file(url: str) -> None:
    path = local_path(url)
    folders = [Path(folder) for folder in settings.SOURCE_FOLDERS]
    if not any(path.is_relative_to(folder) for folder in folders):
        listed = ", ".join(str(folder) for folder in folders) or gettext("(none configured)")
        raise ValidationError(
            gettext(
                "Local files must be under the configured media folders (%(folders)s); "
                "set VIGIL_SOURCE_FOLDERS to add one."
            )
            % {"folders": listed}
        )
    if not path.is_file():
        raise ValidationError(gettext("No such file: %(path)s.") % {"path": path})


def _validate_network_host(url: str) -> None:
    outbound.validate_url_host(url, what=gettext("camera host"))
