"""The cameras' API under ``/api/`` (included by vigilsite/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from cameras.api.ingest import CameraFrameIngestView
from cameras.api.viewsets import CameraViewSet

router = SimpleRouter()
router.register("cameras", CameraViewSet, basename="camera")

urlpatterns = [
    path("cameras/<int:pk>/frames/", CameraFrameIngestView.as_view(), name="camera-frames"),
    *format_suffix_patterns(router.urls),  # ``/api/cameras.json``, as DRF's DefaultRouter offers
]
