"""The REST API under ``/api/``: each app's ``api/urls.py``, and the root listing them."""

from django.urls import include, path
from rest_framework.routers import APIRootView
from rest_framework.urlpatterns import format_suffix_patterns

from cameras.api import urls as cameras_api
from detection.api import urls as detection_api
from events.api import urls as events_api
from recordings.api import urls as recordings_api

APPS = (cameras_api, detection_api, events_api, recordings_api)
# What ``GET /api/`` lists: each collection's name and its list route's URL name.
API_ROOT = {"cameras": "camera-list", "events": "event-list", "rules": "rule-list", "models": "detectionmodel-list"}
# Every viewset of the API, whichever app registered it: (prefix, viewset, basename), as a router's registry.
registry = [entry for app in APPS for entry in app.router.registry]

urlpatterns = [
    *(path("", include(app)) for app in APPS),
    *format_suffix_patterns([path("", APIRootView.as_view(api_root_dict=API_ROOT), name="api-root")]),
]
