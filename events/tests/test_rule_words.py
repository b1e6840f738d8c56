"""A threat rule explained in plain words, in the admin, for the operator to check what it does."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from cameras.tests.factories import CameraFactory
from events.models import ThreatRule
from events.rules import rule_describe
from events.services import rule_demo_seed

pytestmark = pytest.mark.django_db


def test_the_default_person_down_rule_reads_as_what_it_does():
    rule_demo_seed()
    assert rule_describe(ThreatRule.objects.get(name="Person down")) == (
        "Opens a critical event when at least 1 person_down (confidence ≥ 0.4, lying: box wider than tall, "
        "not at the picture's edge, at least 0.5 % of the picture) is seen for 3 s in a row, the same one "
        "each time, on any camera, at any time. Seen again within 5 min, the open event is updated instead. "
        "Escalated if still new after 5 min."
    )


def test_a_crowd_rule_on_chosen_cameras_at_night_reads_as_what_it_does():
    rule = ThreatRule.objects.create(
        name="Night crowd", labels=["person"], min_count=10, min_confidence=0.35, hold_frames=2, severity="info",
        scope="cameras", active_from=time(22, 0), active_until=time(6, 0), cooldown_seconds=0,
        zone=[[0, 0], [1, 0], [1, 1]], enabled=False,
    )  # fmt: skip
    rule.cameras.set([CameraFactory(source_url="file:///a"), CameraFactory(source_url="file:///b")])

    assert rule_describe(rule) == (
        "Switched off: opens nothing. When on: opens an info event when at least 10 person (confidence ≥ 0.35, "
        "standing in the zone) is seen on 2 processed frames in a row, on 2 chosen cameras, between 22:00 and "
        "06:00 (site time)."
    )


def test_the_rule_page_in_the_admin_says_in_plain_words_what_the_rule_does(admin_client):
    rule = ThreatRule.objects.create(name="Standing", labels=["person"], box_shape="standing", sustain_seconds=60,
                                     scope="district", district="Harbour")  # fmt: skip

    page = admin_client.get(reverse("admin:events_threatrule_change", args=[rule.pk]))

    assert page.status_code == 200
    assert (
        "upright: box taller than wide) is seen for 1 min in a row, the same one each time, on the cameras of "
        "district Harbour" in page.content.decode()
    )
    added = admin_client.get(reverse("admin:events_threatrule_add"))
    assert added.status_code == 200 and "Save the rule to read here what it does." in added.content.decode()


def test_the_new_evidence_fields_are_edited_in_the_admin_form(admin_client):
    rule = ThreatRule.objects.create(name="Down", labels=["person_down"])
    form = admin_client.get(reverse("admin:events_threatrule_change", args=[rule.pk])).context["adminform"].form
    assert {"sustain_seconds", "box_shape", "ignore_edge", "min_box_percent"} <= set(form.fields)
