from rest_framework import permissions, viewsets

from cameras.api.serializers import CameraSerializer
from cameras.models import Camera


class IsStaffOrReadOnly(permissions.BasePermission):
    """Reading needs a login; changing cameras is for administrators."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)


class CameraViewSet(viewsets.ModelViewSet):
    queryset = Camera.objects.all()
    serializer_class = CameraSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["status", "district", "enabled", "capture_mode"]
