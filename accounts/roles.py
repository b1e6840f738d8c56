"""The three roles of a Vigil installation, as Django groups with model permissions.

Viewers watch (map, events, cameras, who was notified); Operators also work events; Administrators
also manage cameras, rules, detection models' settings, notification channels, users and API tokens.
No role may add detection models or change their weights (``detection.manage_model_weights``): weights
are code that every detect worker runs, so that stays with superusers. The API,
the admin and the WebSocket check the permissions, never the group names, so a site can build its
own groups from the same permissions.
"""

from __future__ import annotations

from django.apps import apps as global_apps

VIEWERS = "Viewers"
OPERATORS = "Operators"
ADMINISTRATORS = "Administrators"

_VIEW = [
    "cameras.view_camera",
    "events.view_event",
    "events.view_eventaction",
    "events.view_threatrule",
    "detection.view_detectionmodel",
    "detection.view_countsample",
    "detection.view_countminute",
    "flow.view_countingline",
    "flow.view_crossing",
    "flow.view_crossingminute",
    "flow.view_area",
    "flow.view_countingzone",
    "flow.view_occupancy",
    "flow.view_occupancyminute",
    "flow.view_occupancycorrection",
    "notifications.view_notification",
    "notifications.view_delivery",
    "events.view_rulesnooze",
    "recordings.view_segment",
    "cameras.view_still",
]
# Operators work events, snooze a rule on a camera from an event (kept as RuleSnooze rows, ended early with
# change) and correct occupancy counts (kept as OccupancyCorrection rows).
_WORK = ["events.change_event", "events.change_rulesnooze", "flow.change_occupancy"]
_MANAGE = [
    f"{app}.{verb}_{model}"
    for app, model in [
        ("cameras", "camera"),
        ("events", "threatrule"),
        ("auth", "user"),
        ("auth", "group"),
        ("accounts", "apitoken"),
        ("flow", "countingline"),
        ("flow", "area"),
        ("flow", "countingzone"),
        ("notifications", "notificationchannel"),
    ]
    for verb in ("add", "change", "delete", "view")
] + [
    # Reach the device now (test connection, capture now) and issue edge push tokens.
    "cameras.capture_camera",
    "cameras.issue_push_token",
    # Tune, test and remove detection models. Adding one or changing its weights needs
    # detection.manage_model_weights, which no role holds: weights are code (superusers only).
    "detection.change_detectionmodel",
    "detection.delete_detectionmodel",
    "events.delete_event",
    "notifications.change_notification",
    # Periodic tasks: seen, not made or changed. One names any task with any arguments (code of
    # one's choosing on the workers), and Vigil's own entries are written by Vigil (system/periodic.py);
    # a camera's capture interval is edited on the camera. Superusers manage them.
    "django_celery_beat.view_periodictask",
    # Log-in lockouts (django-axes): see them, and delete one to unlock a user before the cool-off.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
]

ROLES: dict[str, list[str]] = {
    VIEWERS: _VIEW,
    OPERATORS: _VIEW + _WORK,
    ADMINISTRATORS: _VIEW + _WORK + _MANAGE,
}


def roles_sync(apps=global_apps) -> None:
    """Create the role groups and give each exactly its permissions (``apps`` for migrations)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:  # else an earlier migration: the model comes later, and its migration syncs again
                wanted.append(found)
        group.permissions.set(wanted)
