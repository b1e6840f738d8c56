"""Box overlap, as the crossing logic and the threat rules measure it."""

import pytest

from core.geometry import box_overlap


def test_box_overlap_is_intersection_over_union():
    assert box_overlap((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert box_overlap((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    assert box_overlap((0, 0, 1, 1), (1, 1, 2, 2)) == 0.0  # touching corners do not overlap
    assert box_overlap((0, 0, 1, 1), (2, 0, 3, 1)) == 0.0
