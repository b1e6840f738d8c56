"""Typed readers for Vigil's environment variables.

Every setting Vigil reads from the environment goes through these helpers, so that a
missing or malformed value fails at start-up with a message naming the variable, and a
secret can come from a file (``NAME_FILE``) as Docker and Kubernetes secrets provide.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

PREFIX = "VIGIL_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str) -> str | None:
    """Return ``VIGIL_<name>``, or the contents of the file named by ``VIGIL_<name>_FILE``."""
    key = PREFIX + name
    value = os.environ.get(key)
    if value is not None:
        return value
    path = os.environ.get(key + "_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{key}_FILE={path} cannot be read: {exc.strerror}") from exc
    return None


def string(name: str, default: str = "") -> str:
    value = raw(name)
    return default if value is None or value == "" else value


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name}={value!r} is not a boolean (use true or false)")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name}={number} must be at least {minimum}")
    return number


def number(name: str, default: float, *, minimum: float | None = None) -> float:
    value = raw(name)
    if value is None or value == "":
        return default
    try:
        result = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name}={value!r} is not a number") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name}={result} must be at least {minimum}")
    return result


def strings(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    value = raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def networks(
    name: str, default: list[str], *, former_name: str | None = None
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP networks (``169.254.0.0/16``); a bad one stops the start.

    ``former_name``: the variable's earlier name, still read when the new one is not set.
    """
    if former_name is not None and raw(name) is None and raw(former_name) is not None:
        name = former_name
    result = []
    for item in strings(name, default):
        try:
            result.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"VIGIL_{name}: {item!r} is not an IP network such as 169.254.0.0/16") from None
    return result


def path(name: str, default: Path, *, base: Path) -> Path:
    """A filesystem path; relative values are taken from ``base`` (the project folder)."""
    value = raw(name)
    chosen = Path(value).expanduser() if value else default
    return (chosen if chosen.is_absolute() else base / chosen).resolve()


def paths(name: str, default: list[Path], *, base: Path) -> list[Path]:
    """A list of folders separated by ``os.pathsep`` or commas."""
    value = raw(name)
    if value is None:
        return [p.resolve() for p in default]
    items = [item.strip() for item in value.replace(os.pathsep, ",").split(",") if item.strip()]
    return [(Path(i).expanduser() if Path(i).expanduser().is_absolute() else base / i).resolve() for i in items]


def mask_url(url: str) -> str:
    """Hide the password of a URL so it can be logged or shown in an error."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))
