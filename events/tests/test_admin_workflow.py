"""The threat-handling panel driven with the test client: workflow actions, roles, filters, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cameras.tests.factories import CameraFactory
from events.models import Event, EventAction
from events.services import event_open_system

pytestmark = pytest.mark.django_db

LIST = "admin:events_event_changelist"


def _open(camera_name: str, *, severity: str = "high", district: str = "", title: str = "") -> Event:
    camera = CameraFactory(name=camera_name, district=district)
    return event_open_system(
        camera=camera, label="camera_offline", title=title or f"{camera_name} offline", detail="", severity=severity
    )


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user("olga", "Operators", staff=True))
    return client


@pytest.fixture
def viewer(client, make_user):
    client.force_login(make_user("vera", "Viewers", staff=True))
    return client


def _act(client, event: Event, action: str, **fields):
    url = reverse("admin:events_event_workflow", args=[event.pk])
    return client.post(url, {"action": action, **fields}, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_each_action_on_the_event_page_changes_the_status_and_writes_history(operator):
    event = _open("Quay")
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("note", {"note": "Two people by the gate"}, "acknowledged"),
        ("dispatch", {"dispatched_to": "Unit 7", "note": "On foot"}, "dispatched"),
        ("resolve", {"note": "Gate closed"}, "resolved"),
        ("reopen", {"note": "Back again"}, "acknowledged"),
        ("false_alarm", {"note": "Maintenance crew"}, "false_alarm"),
    ]
    for action, fields, status in steps:
        response = _act(operator, event, action, **fields)
        event.refresh_from_db()
        assert event.status == status, action
        assert any(f"now {event.get_status_display().lower()}" in m for m in _messages(response)), action
        assert response.redirect_chain[-1][0] == reverse("admin:events_event_change", args=[event.pk])

    history = list(event.actions.values_list("action", "from_status", "to_status", "user__username", "note"))
    assert history == [
        ("acknowledge", "new", "acknowledged", "olga", ""),
        ("note", "acknowledged", "acknowledged", "olga", "Two people by the gate"),
        ("dispatch", "acknowledged", "dispatched", "olga", "On foot"),
        ("resolve", "dispatched", "resolved", "olga", "Gate closed"),
        ("reopen", "resolved", "acknowledged", "olga", "Back again"),
        ("false_alarm", "acknowledged", "false_alarm", "olga", "Maintenance crew"),
    ]
    assert event.actions.get(action="dispatch").dispatched_to == "Unit 7"
    page = operator.get(reverse("admin:events_event_change", args=[event.pk]))
    assert "Maintenance crew" in page.text and "Unit 7" in page.text  # the history inline


def test_illegal_transitions_are_refused_with_a_message_and_change_nothing(operator):
    event = _open("Quay")

    no_note = _act(operator, event, "resolve", note="  ")
    no_unit = _act(operator, event, "dispatch", note="Going")
    reopen_open = _act(operator, event, "reopen", note="Typed with care")
    unknown = _act(operator, event, "explode")

    event.refresh_from_db()
    assert event.status == "new" and not event.actions.exists()
    assert "say why in a note" in _messages(no_note)[0]
    assert "say which unit or person" in _messages(no_unit)[0]
    assert "cannot reopen" in _messages(reopen_open)[0]
    assert "Typed with care" in _messages(reopen_open)[0]  # the note is shown back, not lost
    assert "Unknown action" in _messages(unknown)[0]


def test_bulk_dispatch_asks_for_the_unit_first_then_dispatches_each(operator):
    events = [_open("Quay"), _open("Dam")]
    selection = {"action": "dispatch", "_selected_action": [e.pk for e in events]}

    asked = operator.post(reverse(LIST), selection)
    incomplete = operator.post(reverse(LIST), {**selection, "apply": "1", "note": "x"})
    assert asked.status_code == 200 and 'name="dispatched_to"' in asked.text
    assert incomplete.status_code == 200 and "This field is required" in incomplete.text
    assert not EventAction.objects.exists()

    done = operator.post(reverse(LIST), {**selection, "apply": "1", "dispatched_to": "Unit 3"}, follow=True)

    assert "Dispatch: 2 event(s)." in _messages(done)
    assert set(Event.objects.values_list("status", flat=True)) == {"dispatched"}
    assert list(EventAction.objects.values_list("dispatched_to", flat=True)) == ["Unit 3", "Unit 3"]


def test_bulk_resolve_does_the_open_events_and_names_the_ones_it_refused(operator, make_user):
    open_event, closed = _open("Quay"), _open("Dam")
    from events.workflow import event_transition

    event_transition(event=closed, action="false_alarm", user=make_user("ann"), note="test")
    form = {"action": "resolve", "_selected_action": [open_event.pk, closed.pk], "apply": "1", "note": "Cleared"}

    response = operator.post(reverse(LIST) + "?status=all", form, follow=True)

    assert Event.objects.get(pk=open_event.pk).status == "resolved"
    assert Event.objects.get(pk=closed.pk).status == "false_alarm"
    assert "Resolve: 1 event(s)." in _messages(response)
    assert f"Event #{closed.pk} is false alarm; it cannot resolve." in _messages(response)


def test_acknowledge_from_the_list_needs_no_form(operator):
    event = _open("Quay")
    response = operator.post(reverse(LIST), {"action": "acknowledge", "_selected_action": [event.pk]}, follow=True)
    assert "Acknowledge: 1 event(s)." in _messages(response)
    assert Event.objects.get(pk=event.pk).assignee.username == "olga"


def test_viewers_get_403_on_every_write_path_of_the_admin(viewer):
    event = _open("Quay")
    change = reverse("admin:events_event_change", args=[event.pk])

    assert viewer.get(reverse(LIST)).status_code == 200
    page = viewer.get(change)
    assert page.status_code == 200 and 'id="workflow"' not in page.text
    for action in ("acknowledge", "dispatch", "resolve", "false_alarm", "reopen", "add_note"):
        form = {"action": action, "_selected_action": [event.pk], "apply": "1", "note": "n", "dispatched_to": "u"}
        assert viewer.post(reverse(LIST), form).status_code == 403, action
    for action in ("acknowledge", "dispatch", "resolve", "note"):
        assert _act(viewer, event, action, note="n", dispatched_to="u").status_code == 403, action
    assert viewer.post(change, {"title": "changed"}).status_code == 403
    assert viewer.post(reverse("admin:events_event_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert viewer.post(reverse("admin:events_threatrule_add"), {"name": "x"}).status_code == 403

    event.refresh_from_db()
    assert (event.status, event.title) == ("new", "Quay offline") and not event.actions.exists()


def test_the_list_shows_open_events_unless_asked_and_filters_by_district_and_severity(operator, make_user):
    from events.workflow import event_transition

    north = _open("North gate", severity="critical", district="Noord")
    south = _open("South gate", severity="low", district="Zuid")
    done = _open("Old quay", severity="critical", district="Noord")
    event_transition(event=done, action="resolve", user=make_user("ann"), note="ok")

    def titles(query: str = "") -> set[str]:
        response = operator.get(reverse(LIST) + query)
        assert response.status_code == 200
        return {event.title for event in response.context["cl"].result_list}

    assert titles() == {"North gate offline", "South gate offline"}
    assert titles("?status=all") == {"North gate offline", "South gate offline", "Old quay offline"}
    assert titles("?status=resolved") == {"Old quay offline"}
    assert titles("?district=Noord&status=all") == {"North gate offline", "Old quay offline"}
    assert titles("?severity__exact=low") == {"South gate offline"}
    assert titles("?q=north") == {"North gate offline"}
    assert north.pk and south.pk


def test_the_csv_export_holds_the_filtered_events_and_their_history(viewer, make_user):
    from events.workflow import event_transition

    kept = _open("North gate", severity="critical")
    other = _open("South gate", severity="low")
    olga = make_user("olga")
    event_transition(event=kept, action="dispatch", user=olga, dispatched_to="Unit 9", note='Hurry, "now"')

    response = viewer.get(reverse("admin:events_event_export") + "?severity__exact=critical")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(row["id"]) for row in rows] == [kept.pk]
    assert rows[0]["camera"] == "North gate" and rows[0]["status"] == "dispatched"
    assert 'olga dispatch new->dispatched to Unit 9: Hurry, "now"' in rows[0]["history"]
    assert other.pk not in [int(row["id"]) for row in rows]


def test_exporting_the_selected_events_is_open_to_viewers_too(viewer):
    one, _ = _open("Quay"), _open("Dam")
    response = viewer.post(reverse(LIST), {"action": "export_csv", "_selected_action": [one.pk]})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200 and [row["title"] for row in rows] == ["Quay offline"]


def test_the_dashboard_counts_each_cameras_events_of_the_last_day(operator, client, make_user):
    fresh = _open("Quay", severity="critical")
    _open("Quay 2", severity="low")
    old = _open("Dam", severity="high")
    Event.objects.filter(pk=old.pk).update(first_seen=timezone.now() - timedelta(days=2))

    response = operator.get(reverse("operations-dashboard"))

    assert response.status_code == 200
    rows = {row.camera.name: row for row in response.context["overview"].rows}
    assert rows["Quay"].events_24h == 1 and rows["Quay"].by_severity["critical"] == 1
    assert rows["Dam"].events_24h == 0 and rows["Dam"].open_events == 1
    assert dict(response.context["overview"].open_by_severity)["Critical"] == 1
    assert fresh.camera.name in response.text
    assert reverse("operations-dashboard") in operator.get(reverse("admin:index")).text

    client.force_login(make_user("nobody", staff=True))
    assert client.get(reverse("operations-dashboard")).status_code == 403


def test_the_date_drill_down_offers_the_years_then_the_months_of_the_events(operator):
    for when in ("2025-03-10T12:00:00+00:00", "2026-01-05T12:00:00+00:00", "2026-02-20T12:00:00+00:00"):
        event = _open(f"Camera {when[:10]}")
        Event.objects.filter(pk=event.pk).update(first_seen=when)

    years = operator.get(reverse(LIST) + "?status=all")
    months = operator.get(reverse(LIST) + "?status=all&first_seen__year=2026")
    february = operator.get(reverse(LIST) + "?status=all&first_seen__year=2026&first_seen__month=2")

    assert "first_seen__year=2025" in years.text and "first_seen__year=2026" in years.text
    assert "first_seen__month=1" in months.text and "first_seen__month=2" in months.text
    assert "first_seen__month=3" not in months.text  # the span ends in February
    assert [e.title for e in february.context["cl"].result_list] == ["Camera 2026-02-20 offline"]


def test_other_lookups_on_the_date_field_never_break_the_drill_down(operator):
    """Found by the query fuzz: ``first_seen__in=200001010000000`` reached the drill-down's own query (a 500)."""
    _open("Gate")
    for query in ("first_seen__in=200001010000000", "first_seen__year=20x6", "first_seen__year=99999",
                  "first_seen__gte=yesterday", "first_seen__month=%00"):  # fmt: skip
        response = operator.get(reverse(LIST) + "?status=all&" + query)
        assert response.status_code in (200, 302), (query, response.status_code)


def test_past_the_cap_the_list_says_more_than_instead_of_counting(operator, monkeypatch):
    from events.admin_paging import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "CAP", 3)  # the same code path as 10,000, without 10,001 rows
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"):
        _open(name)

    many = operator.get(reverse(LIST))
    few = operator.get(reverse(LIST) + "?q=echo")

    assert "more than 3 events" in many.text and len(many.context["cl"].result_list) == 5
    assert "more than 3" not in few.text and "1 event" in few.text
