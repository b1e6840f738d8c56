"""The recordings' API under ``/api/`` (included by vigilsite/api_urls.py): clips, segments, stills, evidence."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from recordings.api.views import (
    CameraRecordingsView,
    CameraStillsView,
    EventClipView,
    EventEvidenceExportView,
    EvidencePublicKeyView,
)

router = SimpleRouter()  # no viewset: the API's registry reads every app's router

urlpatterns = [
    path("events/<int:pk>/clip/", EventClipView.as_view(), name="event-clip-api"),
    path("cameras/<int:pk>/recordings/", CameraRecordingsView.as_view(), name="camera-recordings"),
    path("cameras/<int:pk>/stills/", CameraStillsView.as_view(), name="camera-stills"),
    path("events/<int:pk>/export/", EventEvidenceExportView.as_view(), name="event-evidence-export-api"),
    path("evidence/public-key/", EvidencePublicKeyView.as_view(), name="evidence-public-key"),
]
