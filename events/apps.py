from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Threat events and their live broadcast to the map."""

    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from cameras.signals import camera_picture_frozen, camera_status_changed
        from events.receivers import camera_frozen_event, camera_offline_event

        # In the camera's transaction: the offline event opens (or closes) with the health change.
        camera_status_changed.connect(camera_offline_event, dispatch_uid="events-camera-offline")
        camera_picture_frozen.connect(camera_frozen_event, dispatch_uid="events-camera-frozen")

        from events.access_signals import signals_connect

        signals_connect()  # logout, deactivation, role changes close open WebSockets

        from core.stored_files import stored_files_follow_rows
        from events.models import Event

        # An event's snapshots go with it (deleted by hand, by retention or with its camera).
        stored_files_follow_rows(Event, "snapshot", "annotated_snapshot")

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from events.models import RuleSnooze, ThreatRule

        # Detect workers keep each camera's rules while this version stands (events.rules.rules_for_camera).
        for model in (ThreatRule, RuleSnooze):
            post_save.connect(_rules_changed, sender=model, dispatch_uid=f"rules-changed-save-{model.__name__}")
            post_delete.connect(_rules_changed, sender=model, dispatch_uid=f"rules-changed-delete-{model.__name__}")
        m2m_changed.connect(_rules_changed, sender=ThreatRule.cameras.through, dispatch_uid="rules-changed-cameras")


def _rules_changed(**_kwargs) -> None:
    from events.rules import rules_changed

    rules_changed()
