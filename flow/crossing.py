"""Line crossing from tracked positions: which tracks went over which counting line, and which way.

Plain Python over normalised coordinates (0..1, y down), so it is the same for a live stream, a
video file and the tests. A side change counts once it is *confirmed*: the track must be seen on
the new side ``confirm_frames`` times in a row (jitter on the line never counts), the move must
have gone through the segment (walking round its end is not a crossing), and only tracks with an
ID from the tracker take part.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

IN, OUT = "in", "out"


@dataclass(frozen=True)
class Line:
    """A counting line from ``a`` to ``b``; ``in_side`` is "left" or "right" looking from a to b on the picture."""

    key: int | str
    a: tuple[float, float]
    b: tuple[float, float]
    in_side: str = "left"

    def side(self, point: tuple[float, float], dead_band: float) -> int:
        """-1 left, +1 right, 0 within ``dead_band`` (a fraction of the picture) of the line."""
        (ax, ay), (bx, by), (px, py) = self.a, self.b, point
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        distance = (dx * (py - ay) - dy * (px - ax)) / length  # y points down: negative is left on screen
        if abs(distance) <= dead_band:
            return 0
        return 1 if distance > 0 else -1

    def direction(self, new_side: int) -> str:
        return IN if (new_side < 0) == (self.in_side == "left") else OUT

    def crossed_by(self, start: tuple[float, float], end: tuple[float, float], tolerance: float) -> bool:
        """Whether the move start → end goes through the segment (its ends stretched by ``tolerance``)."""
        (ax, ay), (bx, by) = self.a, self.b
        dx, dy = bx - ax, by - ay
        length_sq = dx * dx + dy * dy
        if length_sq == 0:
            return False
        (sx, sy), (ex, ey) = start, end
        mx, my = ex - sx, ey - sy
        denominator = dx * my - dy * mx
        if denominator == 0:
            return False  # moving along the line
        # Where the move meets the line, as a fraction along the line (0 at a, 1 at b).
        along = ((sx - ax) * my - (sy - ay) * mx) / denominator
        stretch = tolerance / length_sq**0.5
        return -stretch <= along <= 1 + stretch


@dataclass(frozen=True)
class Seen:
    """Where a tracked object is in one frame."""

    track_id: int | None
    label: str
    point: tuple[float, float]


@dataclass(frozen=True)
class Crossing:
    line: int | str
    track_id: int
    label: str
    direction: str  # IN or OUT
    frame: int


@dataclass
class _State:
    side: int = 0  # confirmed side, 0 until the track has been seen N frames on one side
    last_point: tuple[float, float] | None = None  # last position on the confirmed side
    candidate: int = 0
    candidate_frames: int = 0
    through_segment: bool = False  # did the move onto the candidate side go through the segment
    last_frame: int = 0


@dataclass
class LineCounter:
    """Follows every track against every line; ``update`` returns the crossings a frame confirms."""

    lines: list[Line]
    confirm_frames: int = 3
    dead_band: float = 0.01
    forget_after: int = 75  # frames unseen before a track's state is dropped (3 s at 25 fps)
    frame: int = 0
    _states: dict[tuple[int, int | str], _State] = field(default_factory=dict)

    def update(self, seen: Iterable[Seen], frame: int | None = None) -> list[Crossing]:
        self.frame = self.frame + 1 if frame is None else frame
        crossings = []
        for item in seen:
            if item.track_id is None:
                continue  # not confirmed by the tracker: never counts
            for line in self.lines:
                crossing = self._follow(line, item)
                if crossing is not None:
                    crossings.append(crossing)
        self._forget()
        return crossings

    def _follow(self, line: Line, item: Seen) -> Crossing | None:
        state = self._states.setdefault((item.track_id, line.key), _State())
        state.last_frame = self.frame
        side = line.side(item.point, self.dead_band)
        if side == 0:
            return None  # on the line: no evidence either way
        if side == state.side:
            state.last_point, state.candidate, state.candidate_frames = item.point, 0, 0
            return None
        if side != state.candidate:
            state.candidate, state.candidate_frames = side, 0
            state.through_segment = state.last_point is None or line.crossed_by(
                state.last_point, item.point, self.dead_band
            )
        state.candidate_frames += 1
        if state.candidate_frames < self.confirm_frames:
            return None
        was, state.side, state.last_point = state.side, side, item.point
        state.candidate, state.candidate_frames = 0, 0
        if was == 0 or not state.through_segment:
            return None  # first sighting, or went round the end of the line
        return Crossing(line.key, item.track_id, item.label, line.direction(side), self.frame)

    def _forget(self) -> None:
        stale = [key for key, state in self._states.items() if self.frame - state.last_frame > self.forget_after]
        for key in stale:
            del self._states[key]
