"""The live WebSocket over the real ASGI app and the real Redis channel layer."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from core.broadcast import broadcast_on_commit
from core.messages import KINDS as SHAPES
from events.tests.sockets import SITE_HEADERS, camera_status, close_code_after_accept, session_cookie, shaped
from vigilsite.asgi import application

ORIGIN = SITE_HEADERS


def _session_cookie(client, user) -> tuple[bytes, bytes]:
    client.force_login(user)
    return session_cookie(client)


@pytest.mark.django_db(transaction=True)
def test_it_accepts_then_closes_with_4401_for_anonymous_users():
    """Closed after the accept, so the browser sees 4401 (a refused handshake reaches it as 1006)."""
    assert async_to_sync(close_code_after_accept)(ORIGIN) == 4401


@pytest.mark.django_db(transaction=True)
def test_it_accepts_then_closes_with_4403_for_users_who_may_not_view_events(client, make_user):
    assert async_to_sync(close_code_after_accept)([*ORIGIN, _session_cookie(client, make_user("nobody"))]) == 4403


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_foreign_origin(client, make_user):
    user = make_user("viewer", "Viewers")
    headers = [(b"host", b"localhost"), (b"origin", b"http://evil.example.org"), _session_cookie(client, user)]
    assert async_to_sync(close_code_after_accept)(headers) is None


@pytest.mark.django_db(transaction=True)
def test_it_pushes_broadcasts_only_after_the_commit(client, make_user):
    user = make_user("viewer", "Viewers")
    headers = [*ORIGIN, _session_cookie(client, user)]

    def rolled_back():
        with transaction.atomic():
            broadcast_on_commit("camera.status", camera_status(1, "offline"))
            transaction.set_rollback(True)

    def committed():
        with transaction.atomic():
            broadcast_on_commit("camera.status", camera_status(1, "online"))

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await sync_to_async(rolled_back)()
        nothing = await communicator.receive_nothing(timeout=0.5)
        await sync_to_async(committed)()
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return nothing, message

    nothing, message = async_to_sync(scenario)()
    assert nothing, "a rolled-back change was broadcast"
    assert message == {"type": "camera.status", "data": camera_status(1, "online")}


@pytest.mark.django_db(transaction=True)
def test_an_idle_socket_stays_open_past_the_redis_read_timeout(client, make_user):
    """redis-py 8 cut blocking reads after 5 s, which closed every WebSocket idle that long."""
    headers = [*ORIGIN, _session_cookie(client, make_user("viewer", "Viewers"))]

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        quiet = await communicator.receive_nothing(timeout=7)
        await sync_to_async(lambda: broadcast_on_commit("camera.status", camera_status(2, "offline")))()
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return quiet, message

    quiet, message = async_to_sync(scenario)()
    assert quiet
    assert message["data"] == camera_status(2, "offline")


@pytest.mark.django_db(transaction=True)
def test_the_socket_is_read_only_a_viewer_cannot_act_through_it(client, make_user):
    from cameras.tests.factories import CameraFactory
    from events.models import Event
    from events.services import event_open_system

    event = event_open_system(camera=CameraFactory(), label="x", title="x", detail="", severity="low")
    headers = [*ORIGIN, _session_cookie(client, make_user("viewer", "Viewers"))]

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.send_json_to({"action": "acknowledge", "event": event.pk})
        refused = await communicator.receive_json_from(timeout=5)
        await communicator.send_to(text_data="not json at all")
        refused_again = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return refused, refused_again

    refused, refused_again = async_to_sync(scenario)()
    assert refused["type"] == "error" and refused["status"] == 403 and "API" in refused["detail"]
    assert refused_again["status"] == 403
    assert Event.objects.get(pk=event.pk).status == Event.Status.NEW


# Who gets which message: each kind needs the permission of what it carries (README, "Live map").
KINDS = ["event.opened", "event.updated", "event.status", "camera.status", "flow.counts"]
EVENTS = {"event.opened", "event.updated", "event.status"}


def _user_with(make_user, who: str):
    from django.contrib.auth.models import Permission

    if who in ("Viewers", "Operators", "Administrators"):
        return make_user(who.lower(), who)
    user = make_user(who.replace(".", "-"))
    app_label, codename = who.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.mark.django_db(transaction=True)
def test_each_message_kind_reaches_only_the_users_with_its_permission(make_user):
    from django.test import Client

    from core.broadcast import broadcasts_flush

    expected = {
        "Viewers": set(KINDS),
        "Operators": set(KINDS),
        "Administrators": set(KINDS),
        "events.view_event": EVENTS,
        "cameras.view_camera": {"camera.status"},  # it carries the camera's last error
        "flow.view_crossing": {"flow.counts"},  # the flow dashboard's user
    }
    headers = {}
    for who in expected:
        client = Client()
        client.force_login(_user_with(make_user, who))
        headers[who] = [*ORIGIN, session_cookie(client)]

    def send_every_kind():
        with transaction.atomic():
            for kind in KINDS:
                broadcast_on_commit(kind, shaped(kind, id=1))
        broadcasts_flush()

    async def received(socket) -> set[str]:
        kinds = set()
        while not await socket.receive_nothing(timeout=0.5):
            kinds.add((await socket.receive_json_from(timeout=5))["type"])
        await socket.disconnect()
        return kinds

    async def scenario():
        sockets = {who: WebsocketCommunicator(application, "/ws/events/", headers=h) for who, h in headers.items()}
        for who, socket in sockets.items():
            connected, _ = await socket.connect(timeout=5)
            assert connected and await socket.receive_nothing(timeout=0.01), f"{who}'s socket was closed"
        await sync_to_async(send_every_kind)()
        return dict(zip(sockets, await asyncio.gather(*map(received, sockets.values())), strict=True))

    assert async_to_sync(scenario)() == expected


def test_a_kind_no_permission_is_named_for_is_refused_when_sent():
    with pytest.raises(ValueError, match="MESSAGE_PERMISSIONS"):
        broadcast_on_commit("camera.secrets", {"id": 1})


@pytest.mark.parametrize("kind", KINDS)
def test_a_message_that_does_not_fit_its_kinds_shape_is_refused_when_sent(kind):
    """The contract in core.messages is checked in the sender: a missing or undeclared key fails there."""
    whole = shaped(kind, id=1)
    missing = dict(whole)
    missing.pop(sorted(SHAPES[kind].shape.__required_keys__)[0])
    with pytest.raises(ValueError, match="missing"):
        broadcast_on_commit(kind, missing)
    if not SHAPES[kind].extra_keys:
        with pytest.raises(ValueError, match=r"unexpected \['secret'\]"):
            broadcast_on_commit(kind, whole | {"secret": "x"})
