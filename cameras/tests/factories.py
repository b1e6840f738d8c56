from __future__ import annotations

import time
from decimal import Decimal

from cameras.models import Camera


def make_camera(url: str, **fields) -> Camera:
    values = {"name": f"Camera {time.monotonic_ns()}", "latitude": Decimal("52.37"), "longitude": Decimal("4.89")}
    values.update(fields)
    return Camera.objects.create(source_url=url, **values)
