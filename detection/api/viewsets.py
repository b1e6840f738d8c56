from rest_framework import viewsets

from detection.api.serializers import DetectionModelSerializer
from detection.models import DetectionModel


class DetectionModelViewSet(viewsets.ReadOnlyModelViewSet):
    """The detection models (read only here; administrators manage them in the admin)."""

    queryset = DetectionModel.objects.all()
    serializer_class = DetectionModelSerializer
    filterset_fields = ["is_default", "device"]
