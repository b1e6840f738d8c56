"""An open WebSocket ends with its session: logout, deactivation and lost roles close it.

Real Channels stack (ASGI app, session and auth middleware, Redis channel layer). The tests of
changes Django signals set the periodic re-check to an hour, so only the broadcast can close
the socket; those of changes no signal reports set it short.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.broadcast import broadcast_on_commit, broadcasts_flush
from events.socket_access import SOCKET_PERMISSIONS
from events.tests.sockets import camera_status, communicator, shaped, site_headers

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10  # seconds a close may take at most before the test fails (it normally takes milliseconds)


@pytest.fixture
def only_broadcasts_close(settings):
    settings.WS_RECHECK_SECONDS = 3600


@pytest.fixture
def quick_recheck(settings):
    settings.WS_RECHECK_SECONDS = 0.2


def _logged_in(client, user):
    client.force_login(user)
    return client


async def _live(client):
    """An open socket, proven to receive broadcasts."""
    socket = communicator(site_headers(client))
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await _broadcast(1)
    assert (await socket.receive_json_from(timeout=WAIT))["data"]["id"] == 1
    return socket


async def _broadcast(camera_id: int) -> None:
    await sync_to_async(broadcast_on_commit)("camera.status", camera_status(camera_id, "online"))
    await sync_to_async(broadcasts_flush)()


async def _close_code(socket) -> int:
    message = await socket.receive_output(timeout=WAIT)
    assert message["type"] == "websocket.close", f"the socket got {message} instead of being closed"
    return message["code"]


async def _nothing_more(socket) -> bool:
    await _broadcast(2)
    return await socket.receive_nothing(timeout=1)


def _after(client, change) -> tuple[int, bool]:
    """Open a live socket, make ``change``, return the close code and whether nothing came after it."""

    async def scenario():
        socket = await _live(client)
        await sync_to_async(change)()
        code = await _close_code(socket)
        quiet = await _nothing_more(socket)
        await socket.disconnect()
        return code, quiet

    return async_to_sync(scenario)()


def test_logging_out_closes_the_socket_with_4401(client, make_user, only_broadcasts_close):
    client = _logged_in(client, make_user("vera", "Viewers"))
    code, quiet = _after(client, lambda: client.post("/accounts/logout/"))
    assert code == 4401
    assert quiet, "the socket received a message after its session ended"


def test_logging_out_elsewhere_leaves_this_sessions_socket_open(client, make_user, only_broadcasts_close):
    from django.test import Client

    user = make_user("vera", "Viewers")
    here, elsewhere = _logged_in(client, user), _logged_in(Client(), user)

    async def scenario():
        socket = await _live(here)
        await sync_to_async(elsewhere.post)("/accounts/logout/")
        await _broadcast(3)
        message = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return message

    assert async_to_sync(scenario)()["data"]["id"] == 3


def test_deleting_the_session_closes_the_socket_with_4401(client, make_user, only_broadcasts_close):
    client = _logged_in(client, make_user("vera", "Viewers"))
    code, quiet = _after(client, lambda: Session.objects.all().delete())  # an administrator ends every session
    assert code == 4401 and quiet


def test_deactivating_the_user_closes_the_socket_with_4401(client, make_user, only_broadcasts_close):
    user = make_user("vera", "Viewers")
    client = _logged_in(client, user)

    def deactivate():
        user.is_active = False
        user.save()

    code, quiet = _after(client, deactivate)
    assert code == 4401 and quiet


def test_a_password_change_closes_the_sockets_of_older_sessions_with_4401(client, make_user, only_broadcasts_close):
    user = make_user("vera", "Viewers")
    client = _logged_in(client, user)

    def change_password():
        user.set_password("another-long-passphrase-2")
        user.save()

    code, quiet = _after(client, change_password)
    assert code == 4401 and quiet


@pytest.mark.parametrize("side", ["user", "group"])
def test_leaving_the_group_closes_the_socket_with_4403(client, make_user, only_broadcasts_close, side):
    user = make_user("vera", "Viewers")
    client = _logged_in(client, user)
    viewers = Group.objects.get(name="Viewers")

    def leave():
        if side == "user":
            user.groups.remove(viewers)
        else:
            viewers.user_set.remove(user)

    code, quiet = _after(client, leave)
    assert code == 4403 and quiet


def test_taking_every_socket_permission_from_the_group_closes_its_members_sockets_with_4403(
    client, make_user, only_broadcasts_close
):
    client = _logged_in(client, make_user("vera", "Viewers"))
    viewers = Group.objects.get(name="Viewers")
    socket_perms = [_permission(name) for name in SOCKET_PERMISSIONS]
    code, quiet = _after(client, lambda: viewers.permissions.remove(*socket_perms))
    assert code == 4403 and quiet


def test_taking_one_permission_from_the_group_stops_only_its_kinds(client, make_user, only_broadcasts_close):
    client = _logged_in(client, make_user("vera", "Viewers"))
    viewers = Group.objects.get(name="Viewers")
    view_event = _permission("events.view_event")

    async def scenario():
        socket = await _live(client)
        await sync_to_async(viewers.permissions.remove)(view_event)
        # The socket handles its messages in order: the nudge (and its database read) before the event.
        await sync_to_async(broadcast_on_commit)("event.opened", shaped("event.opened", id=7))
        await _broadcast(5)
        message = await socket.receive_json_from(timeout=WAIT)  # still open: it may see cameras
        quiet = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return message, quiet

    message, quiet = async_to_sync(scenario)()
    assert message == {"type": "camera.status", "data": camera_status(5, "online")}, "an event was relayed"
    assert quiet


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_the_periodic_recheck_closes_a_socket_whose_session_expired(client, make_user, quick_recheck):
    client = _logged_in(client, make_user("vera", "Viewers"))
    # A queryset update sends no signal: only the timer can notice.
    code, quiet = _after(client, lambda: Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1)))
    assert code == 4401 and quiet


def test_the_periodic_recheck_closes_a_socket_whose_role_was_removed_without_a_signal(client, make_user, quick_recheck):
    user = make_user("vera", "Viewers")
    client = _logged_in(client, user)
    code, quiet = _after(client, lambda: user.groups.through.objects.filter(user=user).delete())
    assert code == 4403 and quiet


def test_a_socket_that_may_stay_keeps_receiving_through_its_rechecks(client, make_user, quick_recheck):
    client = _logged_in(client, make_user("vera", "Viewers"))

    async def scenario():
        socket = await _live(client)
        quiet = await socket.receive_nothing(timeout=1)  # about five re-checks
        await _broadcast(4)
        message = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return quiet, message

    quiet, message = async_to_sync(scenario)()
    assert quiet and message["data"]["id"] == 4
