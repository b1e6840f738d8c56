"""The REST API under ``/api/``: one router, each app registering its viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cameras.api.ingest import CameraFrameIngestView
from cameras.api.viewsets import CameraViewSet

router = DefaultRouter()
router.register("cameras", CameraViewSet, basename="camera")

urlpatterns = [
    path("cameras/<int:pk>/frames/", CameraFrameIngestView.as_view(), name="camera-frames"),
    *router.urls,
]
