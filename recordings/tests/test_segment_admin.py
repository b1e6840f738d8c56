"""The recorded segments in the admin: listed by camera and start, filtered by camera, never added,
changed or deleted there (retention deletes them, with their files)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from recordings.models import Segment
from recordings.tests.segments import recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def segments(concourse_segments):
    gate = CameraFactory(source_url="rtsp://127.0.0.1:9/gate", name="Gate", recording="continuous")
    hall = CameraFactory(source_url="rtsp://127.0.0.1:9/hall", name="Hall", recording="continuous")
    ended = timezone.now() - timedelta(minutes=5)
    return {"gate": recorded(gate, concourse_segments[:3], ended_at=ended),
            "hall": recorded(hall, concourse_segments[:2], ended_at=ended)}  # fmt: skip


def test_viewers_list_the_segments_by_camera_newest_first_and_filter_them(client, make_user, segments):
    client.force_login(make_user("vera", "Viewers", staff=True))
    url = reverse("admin:recordings_segment_changelist")
    page = client.get(url)
    assert page.status_code == 200
    shown = [row.pk for row in page.context["cl"].result_list]
    gate, hall = segments["gate"], segments["hall"]
    assert shown == [s.pk for s in reversed(gate)] + [s.pk for s in reversed(hall)]
    filtered = client.get(url, {"camera__id__exact": hall[0].camera_id})
    assert [row.pk for row in filtered.context["cl"].result_list] == [s.pk for s in reversed(hall)]
    assert b"Hall" in filtered.content and "action-checkbox" not in filtered.content.decode()  # no bulk delete


@pytest.mark.parametrize("role", ["Viewers", "Operators", "Administrators"])
def test_no_role_adds_changes_or_deletes_a_segment(client, make_user, segments, role):
    client.force_login(make_user("someone", role, staff=True))
    segment = segments["gate"][0]
    path = Path(default_storage.path(segment.file.name))
    assert client.get(reverse("admin:recordings_segment_add")).status_code == 403
    change = reverse("admin:recordings_segment_change", args=[segment.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # read only
    assert client.post(change, {"size": 1}).status_code == 403
    delete = reverse("admin:recordings_segment_delete", args=[segment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    segment.refresh_from_db()
    assert segment.size == path.stat().st_size and Segment.objects.count() == 5
