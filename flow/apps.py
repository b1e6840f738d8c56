from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flow"
    verbose_name = _("People flow")
