from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    """Operations of the installation itself: health, the embedded run, first-run setup."""

    name = "system"
    verbose_name = _("System")

    def ready(self) -> None:
        from system import checks  # noqa: F401 (registers the checks)
