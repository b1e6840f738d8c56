"""The raw TCP feed: a real local TCP server receives one JSON line per change, and again after it restarts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from flow import crossing
from flow.feed import feeds_close
from flow.live import counters_publish
from flow.models import CountingLine
from flow.services import crossings_record
from flow.tests.line_server import LineServer
from vigilsite.testing import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def dashboard(settings):
    server = LineServer()
    settings.FLOW_FEED_TARGETS = [server.address]
    feeds_close()
    yield server
    server.stop()
    feeds_close()


def _cross(line, track_id, direction, on_commit):
    with on_commit(execute=True):
        crossings_record(lines={line.pk: line}, found=[(crossing.Crossing(line.pk, track_id, "person", direction, 0),
                                                        timezone.now())])  # fmt: skip
        counters_publish(line.camera)


def test_each_change_reaches_the_dashboard_as_a_json_line(dashboard, django_capture_on_commit_callbacks):
    camera = CameraFactory(name="Gate")
    line = CountingLine.objects.create(camera=camera, name="Gate", start=[0.1, 0.5], end=[0.9, 0.5])
    _cross(line, 1, crossing.IN, django_capture_on_commit_callbacks)
    wait_until(lambda: dashboard.lines, 10, "no line received")
    _cross(line, 2, crossing.IN, django_capture_on_commit_callbacks)
    wait_until(lambda: len(dashboard.lines) == 2, 10, lambda: f"received {dashboard.lines}")
    first, second = dashboard.lines
    assert first["camera"] == {"id": camera.pk, "name": "Gate", "slug": camera.slug}
    assert first["person"] == {"current": 1, "entry": 1, "exit": 0}
    assert second["person"] == {"current": 2, "entry": 2, "exit": 0}


def test_the_feed_reconnects_and_sends_the_present(dashboard, django_capture_on_commit_callbacks):
    camera = CameraFactory(name="Gate")
    line = CountingLine.objects.create(camera=camera, name="Gate", start=[0.1, 0.5], end=[0.9, 0.5])
    _cross(line, 1, crossing.IN, django_capture_on_commit_callbacks)
    wait_until(lambda: dashboard.lines, 10, "no line received")
    dashboard.stop()  # the desktop dashboard is closed; people keep walking
    _cross(line, 1, crossing.OUT, django_capture_on_commit_callbacks)
    _cross(line, 2, crossing.IN, django_capture_on_commit_callbacks)
    _cross(line, 3, crossing.IN, django_capture_on_commit_callbacks)

    again = LineServer(port=dashboard.port)
    try:
        wait_until(lambda: again.lines and again.lines[-1]["person"]["entry"] == 3, 40,
                   lambda: f"after the restart: {again.lines}")  # fmt: skip
        assert again.lines[-1]["person"] == {"current": 2, "entry": 3, "exit": 1}
        assert again.connections == 1
        # Only the present is sent, not every change missed while it was away.
        assert len(again.lines) <= 2
    finally:
        again.stop()


def test_the_feed_never_connects_to_a_blocked_address(settings, caplog):
    import ipaddress
    import logging

    from flow.feed import FeedTarget

    settings.OUTBOUND_BLOCKED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]  # the dashboard is the "metadata"
    server = LineServer()
    target = None
    try:
        with caplog.at_level(logging.INFO, logger="flow.feed"):
            target = FeedTarget(server.address)
            target.put("camera-1", b'{"camera": 1}\n')
            refused = "link-local or cloud metadata address; refused"
            wait_until(lambda: refused in caplog.text, 10, "the feed never tried its target")
        assert server.connections == 0 and server.lines == []
    finally:
        if target is not None:
            target.close()
        server.stop()
