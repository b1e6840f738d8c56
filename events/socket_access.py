"""Whether an open WebSocket may stay open.

A socket is authorised once, at the handshake; without more, it keeps streaming after its
user logged out, was deactivated or lost the role. So each socket asks :func:`socket_refusal`
again on a timer (``VIGIL_WS_RECHECK_SECONDS``, the safety net for changes no signal reports: a
session that expired, rows changed by raw SQL) and at once when ``events.access_signals``
nudges it after a change that could end it.
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth

# Close codes the browser sees (the socket is accepted first, so the code reaches it).
CLOSE_LOGGED_OUT = 4401  # no valid session: the page should send the user to the login page
CLOSE_FORBIDDEN = 4403  # logged in, but may not view events: stop reconnecting


def user_group(user_pk: Any) -> str:
    """The channel-layer group of every open socket of one user."""
    return f"events.user.{user_pk}"


def session_digest(session_key: str) -> str:
    """A session key as it travels through Redis: hashed, so channel-layer traffic holds no usable keys."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def socket_refusal(*, session_key: str | None, user_pk: Any, permission: str) -> int | None:
    """The close code a socket opened by ``user_pk`` on ``session_key`` must get now, or None if it may stay.

    The session is read afresh from the store (not the copy the handshake loaded), through
    Django's own ``get_user``: so an expired or deleted session, a changed password (session
    hash) and a deactivated user (the backend refuses inactive users) all count as logged out.
    """
    if not session_key:
        return CLOSE_LOGGED_OUT
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(SimpleNamespace(session=store))
    if not user.is_authenticated or str(user.pk) != str(user_pk):
        return CLOSE_LOGGED_OUT
    if not user.has_perm(permission):
        return CLOSE_FORBIDDEN
    return None
