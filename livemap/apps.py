from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivemapConfig(AppConfig):
    name = "livemap"
    verbose_name = _("Live map")
