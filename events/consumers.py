from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from core.broadcast import EVENTS_GROUP
from core.stored_text import shown_all
from events.socket_access import (
    CLOSE_LOGGED_OUT,
    SocketAccess,
    message_allowed,
    session_digest,
    socket_access,
    user_group,
    user_socket_access,
)

logger = logging.getLogger(__name__)

READ_ONLY = "This socket only pushes changes; act on events through the API (POST /api/events/<id>/<action>/)."
# A socket whose re-checks fail this long (the database is down) is closed; the page reconnects.
RECHECK_GRACE_SECONDS = 60
CLOSE_TRY_AGAIN = 1013


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """Pushes event, camera-status and counter changes, each kind only to users with its permission.

    A user who may see none of the kinds (``core.messages.KINDS``) is closed
    with 4403. The session is checked again every ``WS_RECHECK_SECONDS`` and whenever a change to
    the user is broadcast (``events.access_signals``); a socket whose user logged out, was
    deactivated or lost every permission is closed with 4401 or 4403 and gets nothing more, one
    that lost some stops getting their kinds.
    """

    async def connect(self) -> None:
        self._open = False
        self._groups: list[str] = []
        self._recheck_task: asyncio.Task | None = None
        self._permissions: frozenset[str] = frozenset()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_LOGGED_OUT)
            return
        access = await database_sync_to_async(user_socket_access)(user)
        if access.refusal is not None:
            await self._refuse(access.refusal)
            return
        self._permissions = access.permissions
        self._language = socket_language(self.scope)
        self._user_pk = user.pk
        self._session_key: str | None = self.scope["session"].session_key
        self._session_digest = session_digest(self._session_key or "")
        # Subscribed before the accept: a page that catches up from the API once the socket opens
        # misses nothing committed in between.
        self._groups = [EVENTS_GROUP, user_group(user.pk)]
        for group in self._groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self._open = True
        await self.accept()
        self._recheck_task = asyncio.create_task(self._recheck_forever())

    async def _refuse(self, code: int) -> None:
        # Accepted, then closed: a close before the accept is an HTTP 403 to the browser, which then
        # sees only code 1006 and cannot tell "log in again" from "server restarting".
        await self.accept()
        await self.close(code=code)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """The socket only pushes; anything sent to it is refused (acting on events goes through the API)."""
        if self._open:
            await self.send_json({"type": "error", "status": 403, "detail": READ_ONLY})

    async def disconnect(self, code: int) -> None:
        self._open = False
        if self._recheck_task is not None and self._recheck_task is not asyncio.current_task():
            self._recheck_task.cancel()
        for group in self._groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self._groups = []

    async def broadcast(self, message: dict) -> None:
        """Relay a message sent to the group by ``core.broadcast``, if this user may see its kind."""
        payload = message["payload"]
        if self._open and message_allowed(payload.get("type", ""), self._permissions):
            data = payload.get("data")
            if isinstance(data, dict) and data.get("texts"):
                # Built without a reader: the texts Vigil wrote, again in this socket's reader's language.
                with translation.override(self._language):
                    payload = {**payload, "data": {**data, **shown_all(data["texts"])}}
            await self.send_json(payload)

    async def access_recheck(self, message: dict) -> None:
        """The user, a group or a permission changed: check the session now (the database says what changed)."""
        if self._open:
            await self._check(not_before=time.monotonic())

    async def session_ended(self, message: dict) -> None:
        """A session of this user was logged out or deleted: close if it is this socket's."""
        if self._open and message.get("session") == self._session_digest:
            await self._end(CLOSE_LOGGED_OUT)

    async def _recheck_forever(self) -> None:
        last_success = time.monotonic()
        while self._open:
            interval = settings.WS_RECHECK_SECONDS
            # Spread over time, so sockets opened together do not all hit the database together.
            await asyncio.sleep(interval * random.uniform(0.8, 1.0))  # noqa: S311 - jitter, not a secret
            if not self._open:
                return
            try:
                await self._check(not_before=time.monotonic() - interval / 2)
                last_success = time.monotonic()
            except Exception:
                logger.warning("re-checking a WebSocket's session failed", exc_info=True)
                if time.monotonic() - last_success > RECHECK_GRACE_SECONDS:
                    await self._end(CLOSE_TRY_AGAIN)

    async def _check(self, *, not_before: float) -> None:
        access = await _access_shared(self._session_key, self._user_pk, not_before=not_before)
        if not self._open:
            return
        if access.refusal is not None:
            await self._end(access.refusal)
        else:
            self._permissions = access.permissions

    async def _end(self, code: int) -> None:
        """Stop relaying at once, then close with ``code`` (the browser shows why, and stops reconnecting)."""
        if not self._open:
            return
        self._open = False
        for group in self._groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self._groups = []
        await self.close(code=code)


def socket_language(scope: dict) -> str:
    """The language a page of this browser is in (``LocaleMiddleware``'s choice: the switcher's cookie, else
    Accept-Language, else ``LANGUAGE_CODE``), from the socket's handshake."""
    request = HttpRequest()
    request.COOKIES = scope.get("cookies", {})
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


# Sockets of one session (several tabs, a video wall) share one check instead of one each: a
# check started at or after ``not_before`` answers for all of them.
_checks: dict[tuple[Any, ...], tuple[float, asyncio.Future]] = {}
_checks_pruned = 0.0


async def _access_shared(session_key: str | None, user_pk: Any, *, not_before: float) -> SocketAccess:
    global _checks_pruned
    loop = asyncio.get_running_loop()
    key = (session_key, user_pk)
    entry = _checks.get(key)
    if entry is None or entry[0] < not_before or _failed(entry[1]) or entry[1].get_loop() is not loop:
        now = time.monotonic()
        if now - _checks_pruned > 60:  # forget the checks of sessions that are gone
            _checks_pruned = now
            for stale in [k for k, (started, _) in _checks.items() if started < now - 60]:
                del _checks[stale]
        check = database_sync_to_async(socket_access)(session_key=session_key, user_pk=user_pk)
        entry = (now, asyncio.ensure_future(check))
        _checks[key] = entry
    # Shielded: one socket closing (and cancelling its wait) must not cancel the others' answer.
    return await asyncio.shield(entry[1])


def _failed(check: asyncio.Future) -> bool:
    """A failed check is asked again at once rather than answering for the sockets after it."""
    return check.done() and (check.cancelled() or check.exception() is not None)
