from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivemapConfig(AppConfig):
    """The live map, and the broadcaster that feeds every live socket."""

    name = "livemap"
    verbose_name = _("Live map")

    def ready(self) -> None:
        from cameras.signals import camera_status_changed
        from events.signals import event_opened, event_status_changed, event_updated
        from livemap import receivers

        camera_status_changed.connect(receivers.camera_status_broadcast, dispatch_uid="livemap-camera-status")
        event_opened.connect(receivers.event_opened_broadcast, dispatch_uid="livemap-event-opened")
        event_updated.connect(receivers.event_updated_broadcast, dispatch_uid="livemap-event-updated")
        event_status_changed.connect(receivers.event_status_broadcast, dispatch_uid="livemap-event-status")
