from cameras.models import Camera
from core.query_params import BBOX_FILTER_HELP, BoundingBoxFilter, QueryFilterSet


class CameraFilterSet(QueryFilterSet):
    """Filters of the camera list; ``bbox`` is how the live map loads only what is in view."""

    bbox = BoundingBoxFilter(help_text=BBOX_FILTER_HELP)

    class Meta:
        model = Camera
        fields = ["status", "district", "enabled", "capture_mode"]
