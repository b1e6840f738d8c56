from rest_framework import viewsets

from cameras.api.serializers import CameraSerializer
from cameras.selectors import cameras_with_latest_counts
from core.geojson import GeoJSONMixin


class CameraViewSet(GeoJSONMixin, viewsets.ModelViewSet):
    """Cameras: readable by every role, changed by administrators (model permissions)."""

    queryset = cameras_with_latest_counts()
    serializer_class = CameraSerializer
    filterset_fields = ["status", "district", "enabled", "capture_mode"]
