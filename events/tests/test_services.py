"""Event writes: with names at their limits, the title is built to fit its column on every database; a service
that locks rows opens its own transaction."""

from __future__ import annotations

import pytest

from events.models import Event
from events.services import event_close_system
from events.tests.scenes import crowd_event, offline_event

pytestmark = pytest.mark.django_db


def test_a_long_rule_name_and_camera_name_open_an_event_whose_title_fits(offline_model):
    # 120 + 2 + 120 characters: on PostgreSQL a title of 242 > 200 made every opening fail (DataError).
    event = crowd_event(camera_name="C" * 120, rule_name="R" * 120)

    max_length = Event._meta.get_field("title").max_length
    assert len(event.title) == max_length
    assert event.title == ("R" * 120 + ": " + "C" * 120)[: max_length - 1] + "…"
    assert event.hit_count == 1 and event.detections  # the event is whole, evidence and all


@pytest.mark.django_db(transaction=True)
def test_closing_a_system_event_with_no_transaction_open_locks_it_in_its_own():
    # select_for_update outside a transaction: PostgreSQL refuses it (SQLite has no row locks to refuse).
    event = offline_event(camera_name="Quai Est")
    assert event_close_system(camera=event.camera, label="camera_offline", note="Back by hand.") == 1
    assert Event.objects.get(pk=event.pk).status == Event.Status.RESOLVED
