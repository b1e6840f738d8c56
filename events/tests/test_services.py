"""Event writes with names at their limits: the title is built to fit its column on every database."""

from __future__ import annotations

import pytest

from events.models import Event
from events.tests.scenes import crowd_event

pytestmark = pytest.mark.django_db


def test_a_long_rule_name_and_camera_name_open_an_event_whose_title_fits(offline_model):
    # 120 + 2 + 120 characters: on PostgreSQL a title of 242 > 200 made every opening fail (DataError).
    event = crowd_event(camera_name="C" * 120, rule_name="R" * 120)

    max_length = Event._meta.get_field("title").max_length
    assert len(event.title) == max_length
    assert event.title == ("R" * 120 + ": " + "C" * 120)[: max_length - 1] + "…"
    assert event.hit_count == 1 and event.detections  # the event is whole, evidence and all
