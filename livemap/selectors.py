"""What the live map page needs to start: tiles, where to look, which APIs, what the user may do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Max, Min
from django.shortcuts import resolve_url
from django.urls import reverse

from cameras.models import Camera
from core.maps import map_attribution
from events.labels import LABEL_NAMES
from events.models import Event


def map_center() -> tuple[list[float], int]:
    """The middle of the cameras, or the configured default when there are none."""
    middle = Camera.objects.filter(enabled=True).aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
    if middle["lat"] is None:
        return list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]), settings.LEAFLET_CONFIG["DEFAULT_ZOOM"]
    return [float(middle["lat"]), float(middle["lon"])], settings.LEAFLET_CONFIG["DEFAULT_ZOOM"]


def camera_extent() -> list[list[float]] | None:
    """The box around every camera, ``[[south, west], [north, east]]``: the first view is fitted to it
    before any camera is loaded, so the map then asks only for what is in that view (``bbox``)."""
    box = Camera.objects.aggregate(
        south=Min("latitude"), west=Min("longitude"), north=Max("latitude"), east=Max("longitude")
    )
    if box["south"] is None:
        return None
    return [[float(box["south"]), float(box["west"])], [float(box["north"]), float(box["east"])]]


def map_config(user: AbstractBaseUser) -> dict[str, Any]:
    """The page's JSON configuration; permissions here only decide which buttons to draw."""
    name, url, options = settings.LEAFLET_CONFIG["TILES"][0]
    center, zoom = map_center()
    return {
        "center": center,
        "zoom": zoom,
        "camera_extent": camera_extent(),
        "tiles": {"name": name, "url": url, **options, "attribution": map_attribution()},
        "api": {
            "events": reverse("event-list"),
            "cameras": reverse("camera-list"),
            "camera_markers": reverse("camera-markers"),
        },
        # The camera's live view (recordings' page); "0" stands for the camera's id.
        "live_url": reverse("camera-live", args=[0]),
        # An event's clip (recordings' MP4, byte ranges for seeking); "0" stands for the event's id.
        "clip_url": reverse("event-clip", args=[0]),
        "websocket": "/ws/events/",
        "resync_seconds": settings.MAP_RESYNC_SECONDS,
        "can_work_events": user.has_perm("events.change_event"),
        "can_view_cameras": user.has_perm("cameras.view_camera"),
        "can_open_admin": bool(user.is_staff),
        "login_url": resolve_url(settings.LOGIN_URL),
        # The words for the API's values, in the page's language (the API itself sends the values).
        "labels": {
            "severity": dict(Event.Severity.choices),
            "status": dict(Event.Status.choices),
            "camera_status": dict(Camera.Status.choices),
            "label": LABEL_NAMES,
        },
    }


def demo_cameras() -> list[dict[str, str]]:
    """The demo cameras still in use (tagged "demo" by the first run), for the map's "what you are
    looking at" note; empty once they are switched off or removed."""
    # The JSON text holds '"demo"' (SQLite has no JSON "contains"); the list is checked again here.
    cameras = Camera.objects.filter(enabled=True, tags__icontains='"demo"').order_by("name")[:20]
    return [{"name": c.name, "mode": c.get_capture_mode_display().lower()} for c in cameras if "demo" in c.tags]
