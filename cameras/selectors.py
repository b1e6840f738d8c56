"""Reads about cameras."""

from django.db.models import OuterRef, QuerySet, Subquery

from cameras.models import Camera
from detection.models import CountSample


def cameras_with_latest_counts() -> QuerySet[Camera]:
    """Cameras with what their newest processed frame counted (``latest_counts``, ``counted_at``)."""
    newest = CountSample.objects.filter(camera=OuterRef("pk")).order_by("-captured_at")
    return (
        Camera.objects.select_related("detection_model")
        .annotate(
            latest_counts=Subquery(newest.values("counts")[:1]),
            counted_at=Subquery(newest.values("captured_at")[:1]),
        )
        .order_by("name")
    )
