"""Whether an open WebSocket may stay open, and which of its messages its user may see.

Each kind of message needs the permission of what it carries (``MESSAGE_PERMISSIONS``); a
socket is accepted when its user may see at least one kind and is sent only those kinds.

A socket is authorised once, at the handshake; without more, it keeps streaming after its
user logged out, was deactivated or lost the role. So each socket asks :func:`socket_access`
again on a timer (``VIGIL_WS_RECHECK_SECONDS``, the safety net for changes no signal reports: a
session that expired, rows changed by raw SQL) and at once when ``events.access_signals``
nudges it after a change that could end it or narrow what it may see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth

from core.messages import MESSAGE_PERMISSIONS

# Close codes the browser sees (the socket is accepted first, so the code reaches it).
CLOSE_LOGGED_OUT = 4401  # no valid session: the page should send the user to the login page
CLOSE_FORBIDDEN = 4403  # logged in, but may see none of the socket's messages: stop reconnecting

SOCKET_PERMISSIONS = frozenset(perm for perm in MESSAGE_PERMISSIONS.values() if perm is not None)


@dataclass(frozen=True)
class SocketAccess:
    """A socket's standing: the close code it must get now (None: it may stay) and the permissions it
    holds among ``SOCKET_PERMISSIONS``."""

    refusal: int | None
    permissions: frozenset[str] = frozenset()


def message_allowed(kind: str, permissions: frozenset[str]) -> bool:
    """May a socket holding ``permissions`` be sent a message of ``kind``? An unknown kind goes to nobody."""
    if kind not in MESSAGE_PERMISSIONS:
        return False
    needed = MESSAGE_PERMISSIONS[kind]
    return needed is None or needed in permissions


def user_socket_access(user) -> SocketAccess:
    """What a logged-in ``user``'s socket may see; refused (4403) when that is nothing."""
    held = frozenset(perm for perm in SOCKET_PERMISSIONS if user.has_perm(perm))
    return SocketAccess(None, held) if held else SocketAccess(CLOSE_FORBIDDEN)


def user_group(user_pk: Any) -> str:
    """The channel-layer group of every open socket of one user."""
    return f"events.user.{user_pk}"


def session_digest(session_key: str) -> str:
    """A session key as it travels through Redis: hashed, so channel-layer traffic holds no usable keys."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def socket_access(*, session_key: str | None, user_pk: Any) -> SocketAccess:
    """The standing now of a socket opened by ``user_pk`` on ``session_key``.

    The session is read afresh from the store (not the copy the handshake loaded), through
    Django's own ``get_user``: so an expired or deleted session, a changed password (session
    hash) and a deactivated user (the backend refuses inactive users) all count as logged out.
    """
    if not session_key:
        return SocketAccess(CLOSE_LOGGED_OUT)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(SimpleNamespace(session=store))
    if not user.is_authenticated or str(user.pk) != str(user_pk):
        return SocketAccess(CLOSE_LOGGED_OUT)
    return user_socket_access(user)
