"""The event page plays the event's clip in a real browser (chromium on real daphne)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from conftest import browser_log_in
from recordings.services import event_clip_cut
from recordings.tests.segments import detection_event, kept, recorded

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_event_page_plays_the_clip(browser, asgi_server, make_user, concourse_segments, settings, artifacts_dir):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:4], ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=segments[0].ended_at, last_seen=segments[2].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    assert event_clip_cut(event=event) is not None
    operator = make_user("olga", "Operators", staff=True)
    page = browser_log_in(browser, asgi_server, operator, f"/admin/events/event/{event.pk}/change/",
                          login_url="/admin/login/")  # fmt: skip

    video = page.locator("video.event-clip")
    video.evaluate("v => v.play()")
    # Functions, not strings: the page's Content-Security-Policy forbids evaluating strings.
    page.wait_for_function("() => document.querySelector('video.event-clip').readyState >= 3", timeout=15000)
    first = video.evaluate("v => v.currentTime")
    page.wait_for_function("t => document.querySelector('video.event-clip').currentTime > t", arg=first + 0.5,
                           timeout=15000)  # fmt: skip
    page.screenshot(path=str(artifacts_dir / "admin-event-clip.png"), full_page=True)
    page.close()


def test_the_event_page_plays_a_snapshot_cameras_timelapse(browser, asgi_server, make_user, street_jpegs, settings):
    camera = CameraFactory(source_url="http://192.0.2.10/snapshot.jpg", name="Street", recording="events")
    stills = kept(camera, street_jpegs[:8], every=1.0, ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=stills[2].captured_at, last_seen=stills[5].captured_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 2
    assert event_clip_cut(event=event) is not None
    page = browser_log_in(browser, asgi_server, make_user("olga", "Operators", staff=True),
                          f"/admin/events/event/{event.pk}/change/", login_url="/admin/login/")  # fmt: skip

    video = page.locator("video.event-clip")
    video.evaluate("v => v.play()")
    page.wait_for_function("() => document.querySelector('video.event-clip').currentTime > 1", timeout=15000)
    assert 6 <= video.evaluate("v => v.duration") <= 8.5  # the browser reads it as the real 7 s
    assert video.evaluate("v => v.videoWidth") == 640
    page.close()


def test_the_map_popup_plays_the_clip_on_a_click_and_an_update_does_not_restart_it(
    browser, asgi_server, make_user, concourse_segments, settings
):
    camera = CameraFactory(source_url="rtsp://127.0.0.1:8554/live", name="Concourse", recording="continuous")
    segments = recorded(camera, concourse_segments[:4], ended_at=timezone.now() - timedelta(minutes=1))
    event = detection_event(camera, first_seen=segments[0].ended_at, last_seen=segments[2].ended_at)
    settings.CLIP_PRE_SECONDS = settings.CLIP_POST_SECONDS = 1
    assert event_clip_cut(event=event) is not None
    unclipped = detection_event(camera, first_seen=segments[0].started_at, last_seen=segments[0].started_at)
    page = browser_log_in(browser, asgi_server, make_user("olga", "Operators"), f"/map/#event-{event.pk}")

    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    popup.locator("button.event-clip-play").click()
    page.wait_for_function("() => document.querySelector('.event-popup video.event-clip').readyState >= 3",
                           timeout=15000)  # fmt: skip
    page.wait_for_function("() => document.querySelector('.event-popup video.event-clip').currentTime > 0.5",
                           timeout=15000)  # fmt: skip
    # Acknowledging redraws the popup (as every update of an ongoing event does): the clip plays on.
    popup.locator('button[data-action="acknowledge"]').click()
    page.wait_for_function(
        "() => document.querySelector('.event-popup [data-role=status]').textContent.trim() !== 'New'", timeout=10000
    )
    at = page.locator(".event-popup video.event-clip").evaluate("v => v.currentTime")
    assert at > 0.5  # not started over
    page.wait_for_function("t => document.querySelector('.event-popup video.event-clip').currentTime > t + 0.3",
                           arg=at, timeout=10000)  # fmt: skip

    page.goto(f"{asgi_server.url}/map/#event-{unclipped.pk}")  # no clip was cut for this one
    other = page.locator(f'.event-popup[data-event-id="{unclipped.pk}"]')
    other.locator("button.event-clip-play").click()
    page.wait_for_function("() => document.querySelector('.event-clip-slot').textContent.includes('No clip')",
                           timeout=10000)  # fmt: skip
    page.close()
