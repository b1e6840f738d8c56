from django.apps import AppConfig


class LivemapConfig(AppConfig):
    name = "livemap"
    verbose_name = "Live map"
