"""Detection's API under ``/api/`` (included by vigilsite/api_urls.py): models and the count series."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from detection.api.counts import CountSeriesView
from detection.api.viewsets import DetectionModelViewSet

router = SimpleRouter()
router.register("models", DetectionModelViewSet, basename="detectionmodel")

urlpatterns = [
    path("counts/", CountSeriesView.as_view(), name="counts"),
    *format_suffix_patterns(router.urls),
]
