"""The crossing logic on synthetic tracks: what counts, what does not, and which way."""

from flow.crossing import IN, OUT, Line, LineCounter, Seen

# A horizontal line across the middle; "in" is below it (right of a → b on the picture, y down).
MIDDLE = Line("door", (0.1, 0.5), (0.9, 0.5), in_side="right")


def walk(counter: LineCounter, track_id, ys, x=0.5, label="person"):
    """Feed one track's positions frame by frame; returns every crossing reported."""
    found = []
    for y in ys:
        found += counter.update([Seen(track_id, label, (x, y))])
    return found


def test_walking_down_through_the_line_is_one_entry_on_the_confirming_frame():
    counter = LineCounter([MIDDLE], confirm_frames=3)
    crossings = walk(counter, 7, [0.30, 0.35, 0.40, 0.45, 0.55, 0.60, 0.65, 0.70])
    assert [(c.track_id, c.direction, c.line, c.label) for c in crossings] == [(7, IN, "door", "person")]
    assert crossings[0].frame == 7  # third frame below the line (0.55, 0.60, 0.65)


def test_walking_up_is_an_exit():
    counter = LineCounter([MIDDLE])
    assert [c.direction for c in walk(counter, 1, [0.8, 0.75, 0.7, 0.6, 0.4, 0.35, 0.3, 0.25])] == [OUT]


def test_jitter_on_the_line_never_counts():
    counter = LineCounter([MIDDLE], confirm_frames=3, dead_band=0.01)
    # Someone waiting on the line: well above, then swaying a little over and back for a long time.
    ys = [0.40, 0.42, 0.44] + [0.505, 0.52, 0.48, 0.53, 0.51, 0.47, 0.52, 0.49, 0.505, 0.495] * 5 + [0.45, 0.44]
    assert walk(counter, 3, ys) == []


def test_two_frames_over_and_back_is_not_enough():
    counter = LineCounter([MIDDLE], confirm_frames=3)
    assert walk(counter, 3, [0.3, 0.35, 0.4, 0.56, 0.58, 0.4, 0.35, 0.3]) == []


def test_crossing_and_coming_back_counts_one_entry_and_one_exit():
    counter = LineCounter([MIDDLE])
    crossings = walk(counter, 5, [0.3, 0.35, 0.4, 0.6, 0.65, 0.7, 0.65, 0.6, 0.4, 0.35, 0.3])
    assert [c.direction for c in crossings] == [IN, OUT]


def test_every_crossing_counts_not_once_per_track():
    counter = LineCounter([MIDDLE])
    there_and_back = [0.3, 0.35, 0.4, 0.6, 0.65, 0.7, 0.6, 0.4, 0.35, 0.3]
    assert [c.direction for c in walk(counter, 5, there_and_back * 2)] == [IN, OUT, IN, OUT]


def test_tracks_without_a_confirmed_id_never_count():
    counter = LineCounter([MIDDLE])
    assert walk(counter, None, [0.3, 0.35, 0.4, 0.6, 0.65, 0.7]) == []


def test_a_track_first_seen_beyond_the_line_has_not_crossed_it():
    counter = LineCounter([MIDDLE])
    assert walk(counter, 9, [0.7, 0.75, 0.8, 0.85, 0.9]) == []


def test_going_round_the_end_of_the_line_is_not_a_crossing():
    counter = LineCounter([MIDDLE])
    ys = [0.3, 0.35, 0.4, 0.6, 0.65, 0.7]
    found = []
    for y in ys:  # right of the segment's end (x 0.9): over the line's extension, not the line
        found += counter.update([Seen(4, "person", (0.95, y))])
    assert found == []


def test_a_line_near_the_frame_edge_counts_people_leaving_the_picture():
    # Near the bottom edge the box is cut by the frame: its foot stays at 1.0, beyond the line.
    edge = Line("exit", (0.0, 0.96), (1.0, 0.96), in_side="left")  # "in" is above it
    counter = LineCounter([edge], confirm_frames=3)
    crossings = walk(counter, 2, [0.85, 0.9, 0.93, 0.95, 0.98, 1.0, 1.0, 1.0])
    assert [c.direction for c in crossings] == [OUT]


def test_people_are_counted_separately_and_per_line():
    other = Line("gate", (0.5, 0.0), (0.5, 1.0), in_side="right")  # vertical: "in" is to the left on screen
    counter = LineCounter([MIDDLE, other])
    found = []
    path_a = [(0.3, 0.3), (0.3, 0.35), (0.3, 0.4), (0.3, 0.6), (0.3, 0.65), (0.3, 0.7)]  # down through MIDDLE
    path_b = [(0.3, 0.8), (0.35, 0.8), (0.4, 0.8), (0.6, 0.8), (0.65, 0.8), (0.7, 0.8)]  # rightwards through gate
    for a, b in zip(path_a, path_b, strict=True):
        found += counter.update([Seen(1, "person", a), Seen(2, "person", b)])
    assert sorted((c.track_id, c.line, c.direction) for c in found) == [(1, "door", IN), (2, "gate", OUT)]


def test_a_lost_track_is_forgotten():
    counter = LineCounter([MIDDLE], forget_after=5)
    walk(counter, 1, [0.3, 0.35, 0.4])
    for _ in range(6):
        counter.update([])
    # The same ID reused later, first seen below the line: a new track, not a crossing.
    assert walk(counter, 1, [0.6, 0.65, 0.7, 0.75]) == []
