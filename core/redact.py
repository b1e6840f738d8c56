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
from urllib.parse import quote, urlsplit, urlunsplit

MASK = "***"
# Query parameters whose value is a credential: these names exactly, and any name containing
# one of the fragments (``x-amz-signature``, ``camera_password``, ``client_secret``...).
# Masking one that is not a secret costs nothing; showing one that is costs the camera.
CREDENTIAL_PARAMS = frozenset({"pw", "pwd", "pass", "sid", "jwt", "auth", "sig", "key", "code"})
CREDENTIAL_FRAGMENTS = ("pass", "pwd", "token", "secret", "key", "sig", "auth", "credential", "session")

_PARAM = re.compile(r"(?P<lead>^|[&;])(?P<name>[^&;=#]+)=(?P<value>[^&;#]*)")
# In free text (an exception, ffmpeg's stderr): a parameter after ? & or ; up to a separator or space.
_TEXT_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[\w.\-\[\]%]+)=(?P<value>[^&;#\s'\"<>]*)")
_TEXT_USERINFO = re.compile(r"(?P<lead>[a-zA-Z][a-zA-Z0-9+.\-]*://[^/@:\s'\"<>]*):(?P<value>[^/@\s'\"<>]*)@")


def is_credential_param(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a credential (case-insensitive)."""
    lowered = name.strip().lower()
    return lowered in CREDENTIAL_PARAMS or any(fragment in lowered for fragment in CREDENTIAL_FRAGMENTS)


def _mask_query(query: str) -> str:
    def replace(match: re.Match) -> str:
        if not is_credential_param(match["name"]) or not match["value"]:
            return match[0]
        return f"{match['lead']}{match['name']}={MASK}"

    return _PARAM.sub(replace, query)


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
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_query(parts.query), _mask_query(parts.fragment)))


def mask_text(text: str) -> str:
    """``text`` (an error message, a log line) with every URL password and credential parameter masked."""

    def replace(match: re.Match) -> str:
        if not is_credential_param(match["name"]) or not match["value"]:
            return match[0]
        return f"{match['lead']}{match['name']}={MASK}"

    text = _TEXT_USERINFO.sub(lambda m: f"{m['lead']}:{MASK}@", text)
    return _TEXT_PARAM.sub(replace, text)


def unmask_url(submitted: str, stored: str) -> str:
    """``submitted`` with every masked value (``***``) put back from ``stored``: the form or API client sent
    back the URL as it was shown, perhaps with other parts changed."""
    if MASK not in submitted or not stored:
        return submitted
    try:
        old = urlsplit(stored)
        new = urlsplit(submitted)
    except ValueError:
        return submitted
    old_values: dict[str, list[str]] = {}
    for match in _PARAM.finditer(old.query):
        old_values.setdefault(match["name"].lower(), []).append(match["value"])

    def replace(match: re.Match) -> str:
        values = old_values.get(match["name"].lower())
        if match["value"] != MASK or not values:
            return match[0]
        return f"{match['lead']}{match['name']}={values.pop(0)}"

    netloc = new.netloc
    if new.password == MASK and old.password is not None and "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.rsplit(':', 1)[0]}:{old.password}@{hostport}"
    return urlunsplit((new.scheme, netloc, new.path, _PARAM.sub(replace, new.query), new.fragment))


class CredentialFilter(logging.Filter):
    """Masks URL passwords and credential parameters in log records (urllib3 logs every request's URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
