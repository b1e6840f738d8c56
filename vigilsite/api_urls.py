"""The REST API under ``/api/``: each app's ``api/urls.py``, and the root listing them."""

from django.urls import include, path
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

# What ``GET /api/`` lists: each collection's name and its list route's URL name.
API_ROOT = {"cameras": "camera-list", "events": "event-list", "rules": "rule-list", "models": "detectionmodel-list"}

urlpatterns = [
    path("", include("cameras.api.urls")),
    path("", include("detection.api.urls")),
    path("", include("events.api.urls")),
    *format_suffix_patterns([path("", APIRootView.as_view(api_root_dict=API_ROOT), name="api-root")]),
]
