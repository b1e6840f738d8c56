from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Threat events and their live broadcast to the map."""

    name = "events"
    verbose_name = "Events"
