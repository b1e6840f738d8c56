"""factory_boy factories for the cameras app: a camera with only what a test names set.

Each test says what matters to it (``CameraFactory(capture_mode="stream")``); the rest is a valid,
unremarkable camera (Amsterdam, a source that is never read).
"""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from cameras.models import Camera


class CameraFactory(DjangoModelFactory):
    class Meta:
        model = Camera

    name = factory.Sequence(lambda n: f"Camera {n}")
    source_url = "file:///dev/null"  # never read: capture of it fails, which most tests never start
    latitude = Decimal("52.37")
    longitude = Decimal("4.89")
