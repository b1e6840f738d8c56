"""The REST API under ``/api/``: one router, each app registering its viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from cameras.api.ingest import CameraFrameIngestView
from cameras.api.viewsets import CameraViewSet
from detection.api.counts import CountSeriesView
from detection.api.viewsets import DetectionModelViewSet
from events.api.viewsets import EventViewSet, ThreatRuleViewSet

router = DefaultRouter()
router.register("cameras", CameraViewSet, basename="camera")
router.register("events", EventViewSet, basename="event")
router.register("rules", ThreatRuleViewSet, basename="rule")
router.register("models", DetectionModelViewSet, basename="detectionmodel")

urlpatterns = [
    path("cameras/<int:pk>/frames/", CameraFrameIngestView.as_view(), name="camera-frames"),
    path("counts/", CountSeriesView.as_view(), name="counts"),
    *router.urls,
]
