"""Credentials out of every URL and message people or logs see: ``user:***@host`` and ``pwd=***``.

Cameras and receivers often take their credentials in the query string (``?usr=admin&pwd=…``,
``?token=…``, a signed URL's ``sig=``). The stored URL keeps them, since the connection needs them;
everything shown (API, admin, map, last errors, logs) goes through ``mask_url`` or ``mask_text``.
Forms and serializers that show a masked URL take it back with ``unmask_url``, so the real
values are write-only, like a password field.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

MASK = "***"
# Query parameters whose value is a credential: these names exactly, and any name containing
# one of the fragments (``x-amz-signature``, ``camera_password``, ``client_secret``...).
# Masking one that is not a secret costs nothing; showing one that is costs the camera.
# ``pas`` and ``psw`` catch the short spellings cameras use (``loginpas=``, ``psw=``, ``pas=``).
CREDENTIAL_PARAMS = frozenset({"pw", "pwd", "pass", "pas", "psw", "sid", "jwt", "auth", "sig", "key", "code"})
CREDENTIAL_FRAGMENTS = ("pas", "psw", "pwd", "token", "secret", "key", "sig", "auth", "credential", "session")
ADDRESS_CHANGED = "The address changed: type the credentials for the new address again."
_DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322, "ws": 80, "wss": 443}

_PARAM = re.compile(r"(?P<lead>^|[&;])(?P<name>[^&;=#]+)=(?P<value>[^&;#]*)")
# In free text (an exception, ffmpeg's stderr): a parameter after ? & or ; up to a separator or space.
_TEXT_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[\w.\-\[\]%]+)=(?P<value>[^&;#\s'\"<>]*)")
# In a path: ``;pwd=…`` parameters and the XMEye/Sofia form ``/user=admin_password=…_channel=1_stream=0.sdp``.
# A value runs to the next ``/ ; &`` or to a ``_`` that starts the next ``name=``.
_PATH_PARAM = re.compile(r"(?P<lead>[/;&_])(?P<name>[^/;&_=?#]+)=(?P<value>(?:[^/;&_?#]|_(?![^/;&_=?#]+=))*)")
_TEXT_PATH_PARAM = re.compile(
    r"(?P<lead>[/;&_])(?P<name>[^/;&_=?#\s'\"<>]+)=(?P<value>(?:[^/;&_?#\s'\"<>]|_(?![^/;&_=?#\s'\"<>]+=))*)"
)
_TEXT_USERINFO = re.compile(r"(?P<lead>[a-zA-Z][a-zA-Z0-9+.\-]*://[^/@:\s'\"<>]*):(?P<value>[^/@\s'\"<>]*)@")


def is_credential_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a credential (case-insensitive)."""
    lowered = unquote(name).strip().lower()  # ``p%61ss`` is ``pass`` to the camera
    return lowered in CREDENTIAL_PARAMS or any(fragment in lowered for fragment in CREDENTIAL_FRAGMENTS)


def _mask_match(match: re.Match) -> str:
    if not is_credential_param(match["name"]) or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def _mask_query(query: str) -> str:
    return _PARAM.sub(_mask_match, query)


def _mask_path(path: str) -> str:
    return _PATH_PARAM.sub(_mask_match, path)


def mask_url(url: str, username: str = "") -> str:
    """The URL as people and logs see it: the user name (``username`` or the URL's), never a password
    or a credential query parameter."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    netloc = parts.netloc
    hostport = netloc.rpartition("@")[2]
    if username:
        netloc = f"{quote(username, safe='')}:{MASK}@{hostport}"
    elif parts.password is not None:
        netloc = f"{netloc.rpartition('@')[0].split(':', 1)[0]}:{MASK}@{hostport}"
    path, query, fragment = _mask_path(parts.path), _mask_query(parts.query), _mask_query(parts.fragment)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def mask_text(text: str) -> str:
    """``text`` (an error message, a log line) with every URL password and credential parameter masked."""

    text = _TEXT_USERINFO.sub(lambda m: f"{m['lead']}:{MASK}@", text)
    return _TEXT_PATH_PARAM.sub(_mask_match, _TEXT_PARAM.sub(_mask_match, text))


def _address(parts: SplitResult) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # unreadable: never the same as another
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def same_address(url: str, other: str) -> bool:
    """Whether both URLs reach the same scheme, host and port: where stored credentials may be sent."""
    try:
        return _address(urlsplit(url)) == _address(urlsplit(other))
    except ValueError:
        return False


def _has_mask(parts: SplitResult) -> bool:
    found = (m for regex, text in ((_PARAM, parts.query), (_PATH_PARAM, parts.path)) for m in regex.finditer(text))
    return parts.password == MASK or any(m["value"] == MASK and is_credential_param(m["name"]) for m in found)


def unmask_url(submitted: str, stored: str) -> str:
    """``submitted`` with every masked value (``***``) put back from ``stored``: the form or API client sent
    back the URL as it was shown, perhaps with other parts changed.

    The stored values go back only to the address they were stored for: with another scheme, host or
    port, a mask raises ``ValidationError`` (``ADDRESS_CHANGED``), so nobody can send a camera's
    password to a host of their own by changing the host and keeping the ``***``.
    """
    if MASK not in submitted or not stored:
        return submitted
    try:
        old = urlsplit(stored)
        new = urlsplit(submitted)
    except ValueError:
        return submitted
    if not _has_mask(new):
        return submitted
    if not same_address(submitted, stored):
        raise ValidationError(ADDRESS_CHANGED, code="address_changed")
    old_values: dict[str, list[str]] = {}
    for regex, text in ((_PARAM, old.query), (_PATH_PARAM, old.path)):
        for match in regex.finditer(text):
            old_values.setdefault(unquote(match["name"]).lower(), []).append(match["value"])

    def replace(match: re.Match) -> str:
        values = old_values.get(unquote(match["name"]).lower())
        if match["value"] != MASK or not values:
            return match[0]
        return f"{match['lead']}{match['name']}={values.pop(0)}"

    netloc = new.netloc
    if new.password == MASK and old.password is not None and "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.rsplit(':', 1)[0]}:{old.password}@{hostport}"
    path, query = _PATH_PARAM.sub(replace, new.path), _PARAM.sub(replace, new.query)
    return urlunsplit((new.scheme, netloc, path, query, new.fragment))


class CredentialFilter(logging.Filter):
    """Masks URL passwords and credential parameters in log records (urllib3 logs every request's URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
