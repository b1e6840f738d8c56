"""The REST API under ``/api/``: one router, each app registering its viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cameras.api.ingest import CameraFrameIngestView
from cameras.api.viewsets import CameraViewSet
from events.api.viewsets import EventViewSet

router = DefaultRouter()
router.register("cameras", CameraViewSet, basename="camera")
router.register("events", EventViewSet, basename="event")

urlpatterns = [
    path("cameras/<int:pk>/frames/", CameraFrameIngestView.as_view(), name="camera-frames"),
    *router.urls,
]
