"""Reads about cameras."""

from django.db.models import QuerySet

from cameras.models import Camera


def camera_list_for_overview() -> QuerySet[Camera]:
    return Camera.objects.only(
        "name", "slug", "district", "status", "enabled", "last_frame_at", "last_error", "latitude", "longitude"
    ).order_by("district", "name")
