"""The crossing logic on synthetic tracks: what counts, what does not, which way, and when it happened."""

import pytest

from flow.crossing import IN, OUT, Line, LineCounter, Seen, inside

SIZE = (1000, 1000)  # pixels: 0.001 of the picture is one pixel
FPS = 10.0
HEIGHT = 0.3  # a person 300 px tall: 100 px a frame at 10 fps is a brisk walk
WIDTH = 0.1

# A horizontal line across the middle; "in" is below it (right of a → b on the picture, y down).
MIDDLE = Line("door", (0.1, 0.5), (0.9, 0.5), in_side="right", band_px=4)


def seen(track_id, y, x=0.5, label="person", height=HEIGHT, width=WIDTH):
    """A person standing at (x, y): their box above that point."""
    return Seen(track_id, label, (x, y), (x - width / 2, y - height, x + width / 2, y))


def walk(counter: LineCounter, track_id, ys, x=0.5, label="person", start=2.0, fps=FPS, **kwargs):
    """Feed one track's feet positions frame by frame (``None``: not seen); returns every crossing reported."""
    found = []
    for i, y in enumerate(ys):
        at = start + i / fps
        found += counter.update([] if y is None else [seen(track_id, y, x, label, **kwargs)], at, SIZE)
    return found


def started(counter: LineCounter) -> LineCounter:
    """A counter that has been running for a while (tracks born now are not just 'there at the start')."""
    counter.update([], 0.0, SIZE)
    return counter


def test_walking_down_through_the_line_is_one_entry_stamped_when_the_feet_crossed():
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.2))
    crossings = walk(counter, 7, [0.30, 0.35, 0.40, 0.45, 0.55, 0.60, 0.65, 0.70])
    assert [(c.track_id > 0, c.direction, c.line, c.label) for c in crossings] == [(True, IN, "door", "person")]
    # Feet at 0.45 at 2.3 s and 0.55 at 2.4 s: on the line half-way between, not when it was confirmed (2.6 s).
    assert crossings[0].at == pytest.approx(2.35)


def test_the_crossing_time_is_interpolated_where_the_feet_meet_the_line():
    counter = started(LineCounter([MIDDLE]))
    crossings = walk(counter, 1, [0.40, 0.48, 0.58, 0.66, 0.74])  # 0.48 → 0.58: a fifth of the way at 0.50
    assert crossings[0].at == pytest.approx(2.1 + 0.1 * 0.2)


def test_confirmation_is_a_time_not_a_number_of_frames():
    ys_10fps = [0.40, 0.45, 0.55, 0.60]  # 0.2 s on the new side takes 3 samples at 10 fps
    assert walk(started(LineCounter([MIDDLE], confirm_seconds=0.25)), 1, ys_10fps) == []
    ys_30fps = [0.40, 0.44, 0.48, 0.52, 0.56, 0.58, 0.60, 0.62, 0.64, 0.66, 0.68, 0.70]  # 0.27 s over at 30 fps
    crossings = walk(started(LineCounter([MIDDLE], confirm_seconds=0.25)), 1, ys_30fps, fps=30.0)
    assert [c.direction for c in crossings] == [IN]


def test_walking_up_is_an_exit():
    counter = started(LineCounter([MIDDLE]))
    assert [c.direction for c in walk(counter, 1, [0.8, 0.75, 0.7, 0.6, 0.4, 0.35, 0.3, 0.25])] == [OUT]


def test_jitter_on_the_line_never_counts():
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.2))
    # Someone waiting on the line: well above, then swaying a few pixels over and back for a long time.
    ys = [0.40, 0.42, 0.44] + [0.503, 0.497, 0.502, 0.498, 0.504, 0.496] * 8 + [0.45, 0.44]
    assert walk(counter, 3, ys) == []


def test_a_one_frame_flicker_to_the_other_side_counts_in_neither_direction():
    # supervision #2600: a box that jumps over the line for one frame was counted out, then in again.
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.2))
    assert walk(counter, 3, [0.3, 0.35, 0.4, 0.6, 0.4, 0.35, 0.3, 0.3, 0.3]) == []


def test_crossing_and_coming_back_counts_one_entry_and_one_exit():
    counter = started(LineCounter([MIDDLE]))
    crossings = walk(counter, 5, [0.3, 0.35, 0.4, 0.6, 0.65, 0.7, 0.65, 0.6, 0.4, 0.35, 0.3])
    assert [c.direction for c in crossings] == [IN, OUT]


def test_every_crossing_counts_not_once_per_track():
    counter = started(LineCounter([MIDDLE]))
    there_and_back = [0.3, 0.35, 0.4, 0.6, 0.65, 0.7, 0.6, 0.4, 0.35, 0.3]
    assert [c.direction for c in walk(counter, 5, there_and_back * 2 + [0.3, 0.3])] == [IN, OUT, IN, OUT]


def test_tracks_without_a_confirmed_id_never_count():
    counter = started(LineCounter([MIDDLE]))
    assert walk(counter, None, [0.3, 0.35, 0.4, 0.6, 0.65, 0.7]) == []


def test_creeping_over_the_line_counts_and_is_stamped_when_the_feet_crossed():
    # Someone in a queue: a few pixels a frame, half a second inside the band, then on.
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.2))
    ys = [0.480, 0.485, 0.490, 0.494, 0.497, 0.499, 0.501, 0.503, 0.505, 0.507, 0.510, 0.513]
    crossings = walk(counter, 2, ys)
    assert [c.direction for c in crossings] == [IN]
    assert crossings[0].at == pytest.approx(2.55, abs=0.01)  # between 0.499 (2.5 s) and 0.501 (2.6 s)


def test_a_person_who_appears_just_past_the_line_and_walks_away_has_come_through_it():
    # Out of a revolving door: hidden until 30 px past the line, then walking away from it.
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.2))
    crossings = walk(counter, 4, [0.53, 0.55, 0.57, 0.59, 0.61, 0.63])
    assert [c.direction for c in crossings] == [IN]
    # Stamped back at the line, at the speed it walks (20 px a frame): 30 px = 1.5 frames before first seen.
    assert crossings[0].at == pytest.approx(2.0 - 0.15, abs=0.02)


def test_a_person_first_seen_far_from_the_line_has_not_crossed_it():
    counter = started(LineCounter([MIDDLE]))
    assert walk(counter, 9, [0.7, 0.75, 0.8, 0.85, 0.9]) == []


def test_a_person_first_seen_next_to_the_line_who_stands_there_has_not_crossed_it():
    counter = started(LineCounter([MIDDLE]))
    assert walk(counter, 9, [0.53, 0.531, 0.529, 0.53, 0.532, 0.53, 0.531, 0.53]) == []


def test_a_person_first_seen_next_to_the_line_who_then_walks_over_it_crosses_once():
    counter = started(LineCounter([MIDDLE]))
    crossings = walk(counter, 9, [0.53, 0.52, 0.51, 0.49, 0.47, 0.45, 0.43])
    assert [c.direction for c in crossings] == [OUT]


def test_people_already_there_when_the_analysis_starts_are_not_born_past_the_line():
    counter = LineCounter([MIDDLE])  # no running start: the first frame is the first the counter sees
    assert walk(counter, 4, [0.53, 0.55, 0.57, 0.59, 0.61, 0.63], start=0.0) == []


def test_walking_into_the_picture_from_its_edge_next_to_a_line_is_not_a_crossing():
    low = Line("low", (0.1, 0.95), (0.9, 0.95), in_side="left", band_px=4)  # "in" is above
    counter = started(LineCounter([low]))
    # Coming up from under the camera: the box is cut by the bottom edge, feet at 1.0, then seen walking up.
    assert walk(counter, 4, [1.0, 1.0, 1.0, 0.99, 0.97, 0.96]) == []


def test_a_door_region_makes_people_appearing_in_it_count_even_at_the_picture_edge():
    strip = ((0.1, 0.95), (0.9, 0.95), (0.9, 1.0), (0.1, 1.0))
    low = Line("low", (0.1, 0.95), (0.9, 0.95), in_side="left", band_px=4, door=strip)
    counter = started(LineCounter([low]))
    crossings = walk(counter, 4, [1.0, 1.0, 0.99, 0.97, 0.94, 0.92, 0.90, 0.88])
    assert [c.direction for c in crossings] == [IN]


def test_a_track_lost_in_the_band_and_found_again_as_a_new_id_is_one_person():
    counter = started(LineCounter([MIDDLE]))
    found = walk(counter, 1, [0.40, 0.44, 0.48, 0.49])  # into the band, then the tracker loses it ...
    found += walk(counter, 2, [None, 0.53, 0.56, 0.60, 0.64], start=2.4)  # ... and starts a new id just past it
    assert [c.direction for c in found] == [IN]


def test_a_track_lost_in_the_band_and_found_again_where_it_came_from_did_not_cross():
    counter = started(LineCounter([MIDDLE]))
    found = walk(counter, 1, [0.40, 0.44, 0.48, 0.49])
    found += walk(counter, 2, [None, 0.47, 0.44, 0.40], start=2.4)
    assert found == []


def test_an_id_switch_onto_someone_past_the_line_is_not_a_crossing():
    # The tracker moves id 5 from a person above the line onto another one 420 px further down.
    counter = started(LineCounter([MIDDLE]))
    assert walk(counter, 5, [0.30, 0.31, 0.32, 0.33, 0.75, 0.76, 0.77, 0.78, 0.79]) == []


def test_after_an_id_switch_the_new_person_is_followed_on_their_own():
    counter = started(LineCounter([MIDDLE]))
    # id 5 jumps to someone far below the line, who then walks up through it: one exit, theirs.
    crossings = walk(counter, 5, [0.30, 0.31, 0.32, 0.80, 0.70, 0.60, 0.50, 0.40, 0.30, 0.25])
    assert [c.direction for c in crossings] == [OUT]


def test_a_track_lost_just_after_crossing_still_counts():
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.5, forget_seconds=1.0))
    found = walk(counter, 1, [0.40, 0.45, 0.55, 0.60, None, None])  # over for 0.1 s, then gone
    found += walk(counter, 99, [0.1] * 15, x=0.05, start=2.6)  # time passes: the track is forgotten
    assert [(c.direction, round(c.at, 2)) for c in found] == [(IN, 2.15)]


def test_a_track_that_flickered_over_for_one_frame_and_was_lost_does_not_count():
    counter = started(LineCounter([MIDDLE], confirm_seconds=0.5, forget_seconds=1.0))
    found = walk(counter, 1, [0.40, 0.45, 0.55, None, None])
    found += walk(counter, 99, [0.1] * 15, x=0.05, start=2.5)
    assert found == []


def test_finish_counts_the_crossings_still_waiting_for_confirmation():
    counter = started(LineCounter([MIDDLE], confirm_seconds=1.0))
    assert walk(counter, 1, [0.40, 0.45, 0.55, 0.60]) == []
    assert [c.direction for c in counter.finish()] == [IN]


def test_two_tracks_on_one_person_count_once():
    counter = started(LineCounter([MIDDLE]))
    found = []
    for i, y in enumerate([0.40, 0.45, 0.55, 0.60, 0.65, 0.70]):
        # The tracker keeps a second box on the same person (a bag, a pushchair): nearly the same box.
        found += counter.update([seen(1, y), seen(2, y + 0.004, x=0.502)], 2.0 + i / FPS, SIZE)
    assert [c.direction for c in found] == [IN]


def test_two_people_side_by_side_count_twice():
    counter = started(LineCounter([MIDDLE]))
    found = []
    for i, y in enumerate([0.40, 0.45, 0.55, 0.60, 0.65, 0.70]):
        found += counter.update([seen(1, y, x=0.45), seen(2, y, x=0.50)], 2.0 + i / FPS, SIZE)
    assert sorted(c.track_id for c in found) == sorted({c.track_id for c in found}) and len(found) == 2


def test_a_crossing_has_the_label_the_track_had_most_often():
    counter = started(LineCounter([MIDDLE]))
    labels = ["person", "person", "person_down", "person", "person", "person"]
    found = []
    for i, (y, label) in enumerate(zip([0.40, 0.45, 0.55, 0.60, 0.65, 0.70], labels, strict=True)):
        found += counter.update([seen(1, y, label=label)], 2.0 + i / FPS, SIZE)
    assert [c.label for c in found] == ["person"]


def test_going_round_the_end_of_the_line_is_not_a_crossing():
    counter = started(LineCounter([MIDDLE]))
    # Right of the segment's end (x 0.9): over the line's extension, not the line.
    assert walk(counter, 4, [0.3, 0.35, 0.4, 0.6, 0.65, 0.7], x=0.95) == []


def test_hysteresis_is_in_pixels_of_the_picture():
    wide = Line("door", (0.1, 0.5), (0.9, 0.5), in_side="right", band_px=30)
    counter = started(LineCounter([wide]))
    assert walk(counter, 1, [0.40, 0.45, 0.52, 0.525, 0.52, 0.45]) == []  # 25 px over: inside the band
    assert [c.direction for c in walk(counter, 2, [0.40, 0.45, 0.55, 0.60, 0.65], x=0.3)] == [IN]


def test_a_line_near_the_frame_edge_counts_people_leaving_the_picture():
    # Near the bottom edge the box is cut by the frame: its foot stays at 1.0, beyond the line.
    edge = Line("exit", (0.0, 0.96), (1.0, 0.96), in_side="left")  # "in" is above it
    counter = started(LineCounter([edge]))
    crossings = walk(counter, 2, [0.85, 0.9, 0.93, 0.95, 0.98, 1.0, 1.0, 1.0])
    assert [c.direction for c in crossings] == [OUT]


def test_people_are_counted_separately_and_per_line():
    other = Line("gate", (0.5, 0.0), (0.5, 1.0), in_side="right")  # vertical: "in" is to the left on screen
    counter = started(LineCounter([MIDDLE, other]))
    found = []
    path_a = [(0.3, 0.3), (0.3, 0.35), (0.3, 0.4), (0.3, 0.6), (0.3, 0.65), (0.3, 0.7)]  # down through MIDDLE
    path_b = [(0.3, 0.8), (0.35, 0.8), (0.4, 0.8), (0.6, 0.8), (0.65, 0.8), (0.7, 0.8)]  # rightwards through gate
    for i, (a, b) in enumerate(zip(path_a, path_b, strict=True)):
        found += counter.update([seen(1, a[1], a[0]), seen(2, b[1], b[0])], 2.0 + i / FPS, SIZE)
    assert sorted((c.line, c.direction) for c in found) == [("door", IN), ("gate", OUT)]


def test_a_lost_track_is_forgotten():
    counter = started(LineCounter([MIDDLE], forget_seconds=0.5))
    walk(counter, 1, [0.3, 0.35, 0.4])
    walk(counter, 99, [0.1] * 10, x=0.05, start=2.3)
    # The same ID reused later, far below the line: a new track, not a crossing.
    assert walk(counter, 1, [0.8, 0.75, 0.8, 0.85], start=3.5) == []


def test_points_inside_a_polygon():
    square = ((0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4))
    assert inside((0.3, 0.3), square) and not inside((0.5, 0.3), square) and not inside((0.3, 0.1), square)


def test_a_second_id_on_someone_already_followed_next_to_the_line_is_not_born_there():
    # Someone standing beside the line since the analysis started, then walking off: the tracker starts a
    # second id on them as they go.
    counter = LineCounter([MIDDLE])
    found = []
    ys = [0.53] * 20 + [0.53, 0.56, 0.60, 0.64, 0.68, 0.72]
    for i, y in enumerate(ys):
        seen_now = [seen(1, y)] + ([seen(2, y + 0.002, x=0.501)] if i >= 20 else [])
        found += counter.update(seen_now, i / FPS, SIZE)
    assert found == []


def test_after_an_id_switch_the_id_missing_for_a_frame_stays_with_its_new_person():
    counter = started(LineCounter([MIDDLE]))
    # id 5 jumps to someone far below, is missed for a frame, then that person walks up through the line.
    crossings = walk(counter, 5, [0.30, 0.31, 0.32, 0.80, None, 0.70, 0.60, 0.50, 0.40, 0.30, 0.25])
    assert [c.direction for c in crossings] == [OUT]


def test_a_pram_the_model_calls_fallen_crossing_with_its_pusher_counts_once_as_them():
    counter = started(LineCounter([MIDDLE], count_as={"person_down": "person"}))
    found = []
    for i, y in enumerate([0.40, 0.45, 0.55, 0.60, 0.65, 0.70]):
        pusher = seen(1, y, x=0.50)
        pram = Seen(2, "person_down", (0.56, y + 0.01), (0.50, y - 0.25, 0.62, y + 0.01))  # beside, overlapping
        found += counter.update([pusher, pram], 2.0 + i / FPS, SIZE)
    assert [(c.label, c.direction) for c in found] == [("person", IN)]


def test_a_person_seen_mostly_down_while_walking_over_the_line_alone_counts_as_a_person():
    counter = started(LineCounter([MIDDLE], count_as={"person_down": "person"}))
    crossings = walk(counter, 3, [0.40, 0.45, 0.55, 0.60, 0.65, 0.70], label="person_down")
    assert [(c.label, c.direction) for c in crossings] == [("person", IN)]
