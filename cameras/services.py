"""Writes about cameras."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cameras.models import Camera

# (name, district, metres north, metres east, heading) of demo cameras around the city centre.
_DEMO_PLACES = [
    ("Central Station Concourse", "Centre", 420, 180, 200),
    ("Market Street", "Centre", -150, 260, 90),
    ("City Hall Offices", "Centre", -380, -240, 320),
    ("Harbour Bus Stop", "Harbour", 650, -520, 45),
    ("Old Town Square", "Old Town", -620, 480, 135),
]
_DEMO_CLIPS = ["concourse.mp4", "street.mp4", "office.mp4"]
_DEMO_PHOTOS = ["bus.jpg", "zidane.jpg"]
_METRES_PER_DEGREE = 111_320


def _demo_sources() -> list[Path]:
    """Looping clips from ``VIGIL_DEMO_MEDIA`` when set, else the photos shipped in ultralytics."""
    if settings.DEMO_MEDIA is not None:
        clips = [settings.DEMO_MEDIA / name for name in _DEMO_CLIPS if (settings.DEMO_MEDIA / name).is_file()]
        if clips:
            return clips
    if settings.ULTRALYTICS_ASSETS is None:
        return []
    return [
        settings.ULTRALYTICS_ASSETS / name for name in _DEMO_PHOTOS if (settings.ULTRALYTICS_ASSETS / name).is_file()
    ]


@transaction.atomic
def camera_demo_seed() -> list[Camera]:
    """Create demo cameras around ``VIGIL_DEMO_CENTER`` once; return those created now."""
    if Camera.objects.exists():
        return []

    lat0, lon0 = settings.DEMO_CENTER
    created = []
    for (name, district, north, east, heading), source in zip(_DEMO_PLACES, _demo_sources(), strict=False):
        lat = lat0 + north / _METRES_PER_DEGREE
        lon = lon0 + east / (_METRES_PER_DEGREE * math.cos(math.radians(lat0)))
        camera = Camera(
            name=name,
            district=district,
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lon:.6f}"),
            heading=heading,
            description=f"Demo camera looping {source.name}.",
            source_url=source.as_uri(),
            capture_interval=10,
            tags=["demo"],
        )
        camera.full_clean()
        camera.save()
        created.append(camera)
    return created
