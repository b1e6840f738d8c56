"""The REST API under ``/api/``: one router, each app registering its viewsets."""

from rest_framework.routers import DefaultRouter

from cameras.api.viewsets import CameraViewSet

router = DefaultRouter()
router.register("cameras", CameraViewSet, basename="camera")

urlpatterns = router.urls
