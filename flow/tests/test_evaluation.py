"""Scoring counted crossings against a hand count: the truth format and the one-to-one matching."""

from __future__ import annotations

import json

import pytest

from flow.evaluation import BadTruth, Truth, score

TRUTH = {
    "clip": "door.mp4", "fps": 10,
    "line": {"start": [0.1, 0.5], "end": [0.9, 0.5], "in_side": "right"},
    "crossings": [
        {"frame": 10, "direction": "in"}, {"frame": 12, "direction": "in"}, {"frame": 50, "direction": "out"},
    ],
}  # fmt: skip


def test_a_truth_file_outside_the_repository_loads(tmp_path):
    path = tmp_path / "elsewhere.json"
    path.write_text(json.dumps({**TRUTH, "undecided": ["free notes are allowed"]}))
    truth = Truth.load(path)
    assert (truth.clip, truth.fps, truth.in_side, len(truth.crossings)) == ("door.mp4", 10.0, "right", 3)
    # The feet crossed between the frame given and the one before: half a frame earlier.
    assert truth.times("in") == [0.95, 1.15]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fps": 0}, "fps must be more than 0"),
        ({"line": {"start": [0.1, 0.5], "end": [0.1, 0.5], "in_side": "right"}}, "same point"),
        ({"line": {"start": [0.1, 1.5], "end": [0.9, 0.5], "in_side": "right"}}, "fractions of the picture"),
        ({"line": {"start": [0.1, 0.5], "end": [0.9, 0.5], "in_side": "up"}}, "left or right"),
        ({"crossings": [{"frame": 3, "direction": "sideways"}]}, "direction in or out"),
        ({"crossings": [{"direction": "in"}]}, "missing or wrong"),
    ],
)
def test_a_truth_file_that_breaks_the_format_says_what_is_wrong(change, message):
    with pytest.raises(BadTruth, match=message):
        Truth.parse({**TRUTH, **change})


def test_counted_crossings_are_matched_one_to_one_within_the_tolerance_and_direction():
    truth = Truth.parse(TRUTH)
    # Two counts near the first true entry: only one may match it; the other is matched to the second.
    result = score([(0.97, "in"), (1.05, "in"), (3.0, "in"), (4.95, "in")], truth, tolerance=0.5)
    assert (result.counted, result.true) == ({"in": 4, "out": 0}, {"in": 2, "out": 1})
    assert result.matched == 2  # an "in" at the time of the true "out" does not match it
    assert result.precision == pytest.approx(0.5) and result.recall == pytest.approx(2 / 3)
    assert [round(e, 2) for e in result.errors] == [0.02, -0.1]
    assert result.missed == [(4.95, "out")] and sorted(result.extra) == [(3.0, "in"), (4.95, "in")]
    assert result.count_error("in") == pytest.approx(1.0)


def test_nothing_counted_on_a_clip_with_crossings_scores_zero_not_an_error():
    result = score([], Truth.parse(TRUTH))
    assert (result.precision, result.recall, result.median_error) == (0.0, 0.0, None)
