"""Several web processes behind one port (``VIGIL_WEB_PROCESSES``): each daphne gets a socket of its own bound
to the port with SO_REUSEPORT, the kernel spreads the map screens over them, and an event reaches every
screen whichever process holds its socket (the pub/sub channel layer in the test's Redis)."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack

import psutil
import pytest
from django.conf import settings
from django.db import transaction
from websockets.sync.client import connect

from accounts.roles import VIEWERS
from cameras.tests.factories import CameraFactory
from conftest import _worker_env
from events.services import event_open_system
from system.runner import web_processes
from vigilsite.testing import free_port, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCREENS = 40


def _viewer_cookie(make_user) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    user = make_user("screen", VIEWERS)
    session = SessionStore()
    session.update({"_auth_user_id": str(user.pk), "_auth_user_hash": user.get_session_auth_hash(),
                    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})  # fmt: skip
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def test_two_web_processes_share_one_port_and_every_screen_gets_every_event(redis_url, make_user):
    port = free_port()
    children = web_processes(host="127.0.0.1", port=port, count=2)
    env = _worker_env(redis_url)
    cookie = _viewer_cookie(make_user)
    camera = CameraFactory(name="Gate")
    stack = ExitStack()
    try:
        for child in children:
            child.start(env, settings.BASE_DIR)
        url = f"ws://127.0.0.1:{port}/ws/events/"
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}

        def opened() -> bool:
            try:
                with connect(url, additional_headers=headers, open_timeout=2):
                    pass
            except OSError:
                return False
            return True

        wait_until(opened, 60, "the web processes did not start")
        sockets = [
            stack.enter_context(connect(url, additional_headers=headers, open_timeout=10)) for _ in range(SCREENS)
        ]

        # Who holds each screen: the kernel spread them over both processes, none left out.
        holders = Counter()
        for child in children:
            process = psutil.Process(child.process.pid)
            mine = [
                c for c in process.net_connections(kind="tcp") if c.laddr.port == port and c.status == "ESTABLISHED"
            ]
            holders[child.name] = len(mine)
        assert sum(holders.values()) == SCREENS and all(holders[c.name] > 0 for c in children), holders

        with transaction.atomic():
            event = event_open_system(camera=camera, label="gate", title="Gate forced", detail="", severity="high")
        for socket in sockets:
            while True:  # other kinds may come first (a catch-up); the event must come
                message = json.loads(socket.recv(timeout=20))
                if message["type"] == "event.opened" and message["data"]["id"] == event.pk:
                    break
    finally:
        stack.close()
        for child in children:
            child.stop(grace=10)
            child.listener.close()
