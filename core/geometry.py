"""Boxes and points in normalised picture coordinates: the few shapes several apps measure alike."""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[float, float, float, float]  # x1, y1, x2, y2


def box_overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes; 0 when they do not meet."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    common = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - common
    return common / union if union > 0 else 0.0
