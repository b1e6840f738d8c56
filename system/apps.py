from django.apps import AppConfig


class SystemConfig(AppConfig):
    """Operations of the installation itself: health, the embedded run, first-run setup."""

    name = "system"
    verbose_name = "System"
