"""Relief from a false alarm that keeps coming back: snooze the rule on the event's camera (the pipeline
opens nothing there until the snooze ends; other cameras go on), or tune the rule from the event; both
written in the event's history. The admin's event page and the API offer it to operators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from detection.pipeline import frames_analyse
from detection.tests.frames import photo
from events.models import Event, EventAction, RuleSnooze
from events.services import event_open_system
from events.tests.scenes import crowd_event
from events.workflow import TransitionRefused, event_transition, rule_snooze, rule_snooze_end

pytestmark = pytest.mark.django_db


def _frame_later(seconds: float):
    frame = photo("bus.jpg")
    frame.captured_at = timezone.now() + timedelta(seconds=seconds)
    return frame


def test_a_snoozed_rule_opens_nothing_on_its_camera_until_the_snooze_ends(offline_model, make_user):
    event = crowd_event()
    camera, rule = event.camera, event.rule
    other = CameraFactory(name="Other stop", motion_gate=False)
    olga = make_user("olga", "Operators")
    event_transition(event=event, action="false_alarm", user=olga, note="People on a poster")

    snooze = rule_snooze(event=event, minutes=30, user=olga, note="Poster on the shelter")
    frames_analyse([(camera, _frame_later(5)), (other, _frame_later(5))])

    assert Event.objects.filter(camera=camera, rule=rule).count() == 1  # no new event: the snooze holds
    assert Event.objects.filter(camera=other, rule=rule).count() == 1  # the rule goes on elsewhere
    step = EventAction.objects.get(event=event, action="snooze")
    assert step.user == olga and step.from_status == step.to_status == "false_alarm"
    assert "Snoozed “People at the stop” on “Bus stop” for 30 min, until" in step.note
    assert step.note.endswith(": Poster on the shelter")
    assert (snooze.rule, snooze.camera, snooze.event) == (rule, camera, event)
    assert timedelta(minutes=29) < snooze.until - timezone.now() <= timedelta(minutes=30)

    assert rule_snooze_end(snooze=snooze, user=olga) is True
    assert rule_snooze_end(snooze=snooze, user=olga) is False  # ended already
    frames_analyse([(camera, _frame_later(10))])
    assert Event.objects.filter(camera=camera, rule=rule).count() == 2  # it fires again
    assert EventAction.objects.filter(event=event, action="snooze").last().note.endswith("ended early")


def test_a_snooze_needs_a_rule_a_reason_and_at_most_a_day(offline_model, make_user):
    event = crowd_event()
    olga = make_user("olga", "Operators")
    for minutes in (0, -5, 24 * 60 + 1, True):
        with pytest.raises(TransitionRefused, match="1 to 1440 minutes"):
            rule_snooze(event=event, minutes=minutes, user=olga, note="x")
    with pytest.raises(TransitionRefused, match="say why"):
        rule_snooze(event=event, minutes=10, user=olga, note="  ")
    system = event_open_system(camera=event.camera, label="camera_offline", title="Offline", detail="",
                               severity="high")  # fmt: skip
    with pytest.raises(TransitionRefused, match="no threat rule"):
        rule_snooze(event=system, minutes=10, user=olga, note="x")
    assert not RuleSnooze.objects.exists() and not EventAction.objects.filter(action="snooze").exists()


def test_operators_snooze_from_the_event_page_and_viewers_may_not(client, offline_model, make_user):
    event = crowd_event()
    page = reverse("admin:events_event_change", args=[event.pk])
    snooze = reverse("admin:events_event_snooze", args=[event.pk])

    client.force_login(make_user("vera", "Viewers", staff=True))
    assert 'data-action="snooze"' not in client.get(page).text
    assert client.post(snooze, {"minutes": "30", "note": "no"}).status_code == 403

    client.force_login(make_user("olga", "Operators", staff=True))
    shown = client.get(page).text
    assert 'data-action="snooze"' in shown and 'id="tune-rule"' not in shown  # tuning is for administrators
    refused = client.post(snooze, {"minutes": "9999", "note": "too long"}, follow=True)
    assert "1 to 1440 minutes" in refused.text and "too long" in refused.text  # the note is shown back
    for hostile in ("²", "1e3", "", "-1", "9" * 40, "30\x00"):  # typed or forged: a clear refusal, never a 500
        assert "1 to 1440 minutes" in client.post(snooze, {"minutes": hostile, "note": "x"}, follow=True).text
    assert "2000 at most" in client.post(snooze, {"minutes": "30", "note": "x" * 2001}, follow=True).text
    done = client.post(snooze, {"minutes": "60", "note": "Poster"}, follow=True)
    assert "will open no event on “Bus stop” until" in done.text
    assert "is snoozed on this camera" in done.text
    assert RuleSnooze.objects.get().note == "Poster"


def test_the_api_snoozes_for_operators(client, offline_model, make_user):
    event = crowd_event()
    url = f"/api/events/{event.pk}/snooze/"
    client.force_login(make_user("vera", "Viewers"))
    assert client.post(url, {"minutes": 15, "note": "x"}, content_type="application/json").status_code == 403
    client.force_login(make_user("olga", "Operators"))
    assert client.post(url, {"minutes": 2000, "note": "x"}, content_type="application/json").status_code == 400
    made = client.post(url, {"minutes": 15, "note": "Poster"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["rule"] == event.rule_id
    history = client.get(f"/api/events/{event.pk}/history/").json()
    assert history[-1]["action"] == "snooze" and history[-1]["note"].endswith(": Poster")


def _posted(form, **changes) -> dict:
    """An admin form's current values as a browser would post them, with ``changes``."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = value
    data.update(changes)
    return data


def test_tuning_the_rule_from_the_event_is_written_in_its_history(client, offline_model, make_user):
    event = crowd_event()
    admin = make_user("root", "Administrators", staff=True)
    client.force_login(admin)
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).text
    tune = f"/admin/events/threatrule/{event.rule_id}/change/?from_event={event.pk}"
    assert f'href="{tune}"'.replace("&", "&amp;") in page or f'href="{tune}"' in page

    form_page = client.get(tune)
    assert f"Tuning from event #{event.pk}" in form_page.text
    data = _posted(form_page.context["adminform"].form, min_confidence="0.7", hold_frames="3")
    saved = client.post(tune, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved

    step = EventAction.objects.get(event=event, action="tune")
    assert step.user == admin
    assert step.note == "Rule “People at the stop” tuned: min_confidence: 0.5 → 0.7; hold_frames: 1 → 3"
    # From another rule's event, or none: nothing is written.
    rule_page = f"/admin/events/threatrule/{event.rule_id}/change/"
    for hold, other in enumerate(("999999", "²", "-1", "9" * 40), start=4):
        assert client.post(f"{rule_page}?from_event={other}", {**data, "hold_frames": str(hold)}).status_code == 302
    assert EventAction.objects.filter(action="tune").count() == 1
