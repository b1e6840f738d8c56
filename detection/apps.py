from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DetectionConfig(AppConfig):
    """YOLO models and the detector service run by the ``detect`` workers."""

    name = "detection"
    verbose_name = _("Detection")

    def ready(self) -> None:
        from core.stored_files import stored_files_follow_rows
        from detection.models import DetectionModel

        # Uploaded weights go with their model row.
        stored_files_follow_rows(DetectionModel, "weights_file")

        from core.vision import label_source_register
        from detection.selectors import known_labels

        # The labels rules and notification channels offer (events and notifications sit below detection).
        label_source_register(known_labels)
