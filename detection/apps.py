from django.apps import AppConfig


class DetectionConfig(AppConfig):
    """YOLO models and the detector service run by the ``detect`` workers."""

    name = "detection"
    verbose_name = "Detection"
