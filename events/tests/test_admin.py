"""The admin pages of rules, events and models, and the event evidence behind a login."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from cameras.tests.factories import CameraFactory
from detection.pipeline import frames_analyse
from detection.tests.frames import photo
from events.models import Event, ThreatRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(offline_model) -> Event:
    ThreatRule.objects.create(name="People", labels=["person"], recommended_actions="Look.")
    camera = CameraFactory(name="Bus stop", motion_gate=False)
    frames_analyse([(camera, photo("bus.jpg"))])
    return Event.objects.get(camera=camera)


def test_the_event_list_and_page_show_the_annotated_snapshot(admin_client, event):
    url = reverse("event-snapshot", args=[event.pk, "annotated"])

    listing = admin_client.get(reverse("admin:events_event_changelist"))
    page = admin_client.get(reverse("admin:events_event_change", args=[event.pk]))

    assert listing.status_code == 200 and url in listing.text
    assert page.status_code == 200 and url in page.text and "Look." in page.text
    image = admin_client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"


def test_snapshots_need_a_login_and_the_viewing_permission(client, event):
    url = reverse("event-snapshot", args=[event.pk, "plain"])
    assert client.get(url).status_code == 302  # to the login page

    user = User.objects.create_user("viewer", password="pw-123456789")
    client.force_login(user)
    assert client.get(url).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_event"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("event-snapshot", args=[event.pk, "other"])).status_code == 404


def test_a_rule_with_a_bad_zone_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:events_threatrule_add"),
        {"name": "Bad", "enabled": "on", "severity": "high", "scope": "all", "labels": '["person"]',
         "zone": "[[0, 0], [2, 0], [1, 1]]", "min_confidence": "0.5", "min_count": "1", "hold_frames": "1",
         "cooldown_seconds": "300", "danger_radius_m": "50"},
    )  # fmt: skip

    assert response.status_code == 200 and "between 0 and 1" in response.text
    assert not ThreatRule.objects.exists()


def test_the_model_list_shows_why_a_model_cannot_load(admin_client, coco_model):
    coco_model.last_error = "weights yolo11n.pt not available offline: upload them"
    coco_model.save()

    response = admin_client.get(reverse("admin:detection_detectionmodel_changelist"))

    assert "yolo11n.pt not available offline" in response.text
    assert admin_client.get(reverse("admin:detection_detectionmodel_change", args=[coco_model.pk])).status_code == 200
    assert admin_client.get(reverse("admin:detection_countsample_changelist")).status_code == 200


def test_acknowledging_from_the_event_list_writes_history_and_refuses_twice(client, make_user, event):
    operator = make_user("olga", "Operators", staff=True)
    client.force_login(operator)
    url = reverse("admin:events_event_changelist")
    form = {"action": "acknowledge", "_selected_action": [event.pk]}

    first = client.post(url, form, follow=True)
    second = client.post(url, form, follow=True)

    event.refresh_from_db()
    assert event.status == Event.Status.ACKNOWLEDGED
    assert "Acknowledge: 1 event(s)." in first.text
    assert "is acknowledged; it cannot acknowledge" in second.text
    page = client.get(reverse("admin:events_event_change", args=[event.pk]))
    assert "olga" in page.text and "Acknowledge" in page.text
    assert event.actions.count() == 1


def test_the_event_page_shows_detections_map_perimeter_and_the_rules_instructions(client, make_user, event):
    client.force_login(make_user("olga", "Operators", staff=True))

    page = client.get(reverse("admin:events_event_change", args=[event.pk]))

    assert page.status_code == 200
    assert page.context["detections"] and all(d["label"] == "person" for d in page.context["detections"])
    assert page.text.count("<td>person</td>") == len(event.detections)
    assert f'data-radius="{event.danger_radius_m}"' in page.text and 'id="event-map"' in page.text
    assert 'id="recommended-actions"' in page.text and "Look." in page.text
    offered = [choice["value"] for choice in page.context["workflow"]]
    assert offered == ["acknowledge", "dispatch", "resolve", "false_alarm", "note"]
    assert 'name="_save"' not in page.text  # nothing to save: the workflow is the only way to change it


def test_the_rule_zone_editor_offers_cameras_with_a_frame_and_stores_the_drawn_polygon(admin_client):
    from cameras import frame_store
    from cameras.models import Camera

    camera = CameraFactory(name="Square", slug="square")
    frame_store.latest_frame_save(camera.pk, photo("bus.jpg"))
    Camera.objects.filter(pk=camera.pk).update(last_frame_at=camera.created_at)

    form = admin_client.get(reverse("admin:events_threatrule_add"))
    assert "data-zone-editor" in form.text and 'value="square"' in form.text
    assert reverse("camera-latest-frame", args=["__slug__"]) in form.text
    assert "events/zone_editor.js" in form.text

    response = admin_client.post(
        reverse("admin:events_threatrule_add"),
        {"name": "Square at night", "enabled": "on", "severity": "high", "scope": "cameras", "cameras": [camera.pk],
         "labels": '["person"]', "zone": "[[0.1, 0.5], [0.9, 0.5], [0.9, 1], [0.1, 1]]", "min_confidence": "0.5",
         "min_count": "1", "hold_frames": "1", "cooldown_seconds": "300", "danger_radius_m": "50",
         "box_shape": "any", "min_box_percent": "0", "sustain_seconds": "0"},
    )  # fmt: skip

    assert response.status_code == 302
    assert ThreatRule.objects.get(name="Square at night").zone == [[0.1, 0.5], [0.9, 0.5], [0.9, 1], [0.1, 1]]


def test_labels_are_typed_as_words_with_the_models_labels_offered(admin_client, offline_model):
    offline_model.classes = ["Normal", "Fall"]
    offline_model.save()
    form = {"name": "Lying", "enabled": "on", "severity": "high", "scope": "all", "labels": "person_down,  person ,",
            "zone": "[]", "min_confidence": "0.5", "min_count": "1", "hold_frames": "1", "cooldown_seconds": "300",
            "danger_radius_m": "50", "box_shape": "any", "min_box_percent": "0", "sustain_seconds": "0"}  # fmt: skip
    response = admin_client.post(reverse("admin:events_threatrule_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = ThreatRule.objects.get(name="Lying")
    assert rule.labels == ["person_down", "person"]

    page = admin_client.get(reverse("admin:events_threatrule_change", args=[rule.pk])).text
    assert 'value="person_down, person"' in page  # words, not JSON
    assert '<option value="person_down">' in page and '<option value="person">' in page  # what the model gives
    assert "Known: person, person_down." in page
    # JSON still reads; a label that is not plain text is refused with the reason.
    form["labels"] = '["person"]'
    admin_client.post(reverse("admin:events_threatrule_change", args=[rule.pk]), form)
    assert ThreatRule.objects.get(pk=rule.pk).labels == ["person"]
    form["labels"] = "person, bad\x07label"
    refused = admin_client.post(reverse("admin:events_threatrule_change", args=[rule.pk]), form)
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["labels"]
