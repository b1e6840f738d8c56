"""Vigil's own beat entries: which ones they are, whether they run, and putting them in place.

Vigil's system entries come from ``CELERY_BEAT_SCHEDULE`` (escalation checks, notification resume,
count retention) plus django-celery-beat's ``celery.backend_cleanup``; beat writes them into the
table at start (cameras' captures are not entries: beat dispatches them itself, system/scheduler.py).
Editing any of them by hand is pointless (beat's next start writes them again) or harmful (disabling
``escalate events`` stops escalation), so only superusers may.

Beat's start rewrites each system entry's task, schedule and arguments but never its ``enabled``
flag: one a superuser disabled stays disabled across restarts, and ``/healthz`` reports it.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django_celery_beat.models import PeriodicTask

# Installed by django-celery-beat's scheduler itself while results expire (CELERY_RESULT_EXPIRES).
BACKEND_CLEANUP = "celery.backend_cleanup"


def system_entry_names() -> list[str]:
    """The entries beat must run for Vigil to work (the ones ``/healthz`` checks)."""
    return sorted(settings.CELERY_BEAT_SCHEDULE)


def managed_entries_q() -> Q:
    """Entries Vigil writes itself: its system entries."""
    return Q(name__in=[*system_entry_names(), BACKEND_CLEANUP])


def periodic_task_is_managed(task: PeriodicTask) -> bool:
    return task.name in settings.CELERY_BEAT_SCHEDULE or task.name == BACKEND_CLEANUP


def system_entries_problem() -> str | None:
    """Why beat is not running every system entry (the first one missing or disabled), or None."""
    names = system_entry_names()
    enabled = dict(PeriodicTask.objects.filter(name__in=names).values_list("name", "enabled"))
    for name in names:
        if name not in enabled:
            return f"system task {name} is missing"
        if not enabled[name]:
            return f"system task {name} is disabled"
    return None
