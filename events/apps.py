from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Threat events and their live broadcast to the map."""

    name = "events"
    verbose_name = "Events"

    def ready(self) -> None:
        from events.access_signals import signals_connect

        signals_connect()  # logout, deactivation, role changes close open WebSockets

        from core.stored_files import stored_files_follow_rows
        from events.models import Event

        # An event's snapshots go with it (deleted by hand, by retention or with its camera).
        stored_files_follow_rows(Event, "snapshot", "annotated_snapshot")
