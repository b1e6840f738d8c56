from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CamerasConfig(AppConfig):
    """The city's cameras: where they are, how to reach them, and how healthy they are."""

    name = "cameras"
    verbose_name = _("Cameras")

    def ready(self) -> None:
        from cameras import receivers  # noqa: F401 - connects the schedule and frame receivers
        from core import outbound

        outbound.warn_if_metadata_reachable()  # cameras are the first outbound users; one warning per start
