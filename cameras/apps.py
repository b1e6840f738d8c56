from django.apps import AppConfig


class CamerasConfig(AppConfig):
    """The city's cameras: where they are, how to reach them, and how healthy they are."""

    name = "cameras"
    verbose_name = "Cameras"

    def ready(self) -> None:
        from cameras import receivers  # noqa: F401 - connects the schedule and frame receivers
        from core import outbound

        outbound.warn_if_metadata_reachable()  # cameras are the first outbound users; one warning per start
