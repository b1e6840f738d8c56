"""Vigil's own beat entries: superusers only in the admin, reported by /healthz when one is off."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from system.scheduler import BEAT_TICK_KEY, VigilScheduler, system_entries_install
from system.selectors import health_report_forget
from vigilsite.celery import app as celery_app

LIST = reverse("admin:django_celery_beat_periodictask_changelist")
ACTIONS = ("disable_tasks", "toggle_tasks", "enable_tasks", "run_tasks")


@pytest.fixture
def entries(db):
    """The system entries as beat writes them at start, and one made by a superuser."""
    system_entries_install(celery_app)
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    own = PeriodicTask.objects.create(name="site report", task="detection.tasks.prune_counts", interval=every_minute)
    return {
        "escalate": PeriodicTask.objects.get(name="escalate events"),
        "prune": PeriodicTask.objects.get(name="prune counts"),
        "own": own,
    }


@pytest.fixture
def broker(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete("default", "capture", BEAT_TICK_KEY)
    health_report_forget()
    yield client
    client.delete("default", "capture", BEAT_TICK_KEY)
    health_report_forget()
    client.close()


def _rows() -> list[dict]:
    return list(PeriodicTask.objects.order_by("pk").values())


def _administrator(make_user, *, with_change: bool = False):
    user = make_user("radmin", "Administrators", staff=True)
    if with_change:  # a site's own group that hands out change and delete: Vigil's entries stay out of reach
        group = Group.objects.create(name="Schedulers")
        group.permissions.add(*Permission.objects.filter(codename__in=["change_periodictask", "delete_periodictask"]))
        user.groups.add(group)
    return user


@pytest.mark.parametrize("with_change", [False, True], ids=["role", "role-and-change"])
def test_an_administrator_cannot_disable_change_delete_or_run_vigils_own_entries(
    client, make_user, entries, broker, with_change
):
    client.force_login(_administrator(make_user, with_change=with_change))
    before = _rows()
    managed = [entries["escalate"].pk, entries["prune"].pk]
    for action in ACTIONS:
        client.post(LIST, {"action": action, "index": "0", "_selected_action": managed})
    client.post(LIST, {"action": "delete_selected", "index": "0", "_selected_action": managed, "post": "yes"})
    for pk in managed:
        change = reverse("admin:django_celery_beat_periodictask_change", args=[pk])
        assert client.post(change, {"name": pk, "task": "x", "enabled": ""}).status_code == 403
        delete = reverse("admin:django_celery_beat_periodictask_delete", args=[pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert _rows() == before
    assert broker.llen("default") == 0 and broker.llen("capture") == 0  # nothing was run
    assert client.get(LIST).status_code == 200  # still seen


def test_an_administrator_cannot_add_a_periodic_task(client, make_user, entries):
    client.force_login(_administrator(make_user, with_change=True))
    add = reverse("admin:django_celery_beat_periodictask_add")
    assert client.get(add).status_code == 403
    response = client.post(add, {"name": "spam", "regtask": "notifications.tasks.deliver_notification",
                                 "interval": entries["own"].interval_id, "args": "[1]", "kwargs": "{}",
                                 "enabled": "on"})  # fmt: skip
    assert response.status_code == 403
    assert not PeriodicTask.objects.filter(name="spam").exists()


def test_a_site_scheduler_still_disables_an_entry_vigil_does_not_own(client, make_user, entries):
    client.force_login(_administrator(make_user, with_change=True))
    selected = [entries["own"].pk, entries["escalate"].pk]
    client.post(LIST, {"action": "disable_tasks", "index": "0", "_selected_action": selected})
    assert PeriodicTask.objects.get(pk=entries["own"].pk).enabled is False
    assert PeriodicTask.objects.get(pk=entries["escalate"].pk).enabled is True


def test_a_superuser_still_manages_vigils_own_entries(admin_client, entries):
    admin_client.post(LIST, {"action": "disable_tasks", "index": "0", "_selected_action": [entries["escalate"].pk]})
    assert PeriodicTask.objects.get(pk=entries["escalate"].pk).enabled is False
    assert admin_client.get(reverse("admin:django_celery_beat_periodictask_add")).status_code == 200
    change = reverse("admin:django_celery_beat_periodictask_change", args=[entries["prune"].pk])
    assert admin_client.get(change).status_code == 200


def test_healthz_reports_a_disabled_or_missing_system_entry(admin_client, entries, broker):
    broker.set(BEAT_TICK_KEY, time.time())
    assert admin_client.get(reverse("healthz")).json()["beat"]["ok"] is True

    PeriodicTask.objects.filter(name="escalate events").update(enabled=False)
    health_report_forget()
    response = admin_client.get(reverse("healthz"))
    assert response.status_code == 503
    beat = response.json()["beat"]
    assert beat["ok"] is False and beat["error"] == "system task escalate events is disabled"

    PeriodicTask.objects.filter(name="escalate events").delete()
    health_report_forget()
    assert admin_client.get(reverse("healthz")).json()["beat"]["error"] == "system task escalate events is missing"


@pytest.mark.django_db(transaction=True)  # the scheduler closes the database connection it finds
def test_a_restart_keeps_a_disabled_system_entry_disabled_and_says_so(entries, caplog):
    PeriodicTask.objects.filter(name="escalate events").update(enabled=False)
    with caplog.at_level(logging.WARNING, logger="system.scheduler"):
        scheduler = VigilScheduler(app=celery_app)
    assert PeriodicTask.objects.get(name="escalate events").enabled is False
    assert "escalate events" not in scheduler.schedule
    assert "resume notifications" in scheduler.schedule
    assert "system task 'escalate events' is disabled" in caplog.text
