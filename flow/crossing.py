"""Line crossing from tracked positions: which people went over which counting line, which way, and when.

Plain Python, the same for a live stream, a video file and the tests. Points arrive normalised
(0..1, y down) with the picture's size, and are measured in pixels, so a line's hysteresis means the
same on every frame. What a person watching the picture would count, and the tracker alone does not:

- **Time, not frames.** A side change counts once the feet have been clearly on the new side (beyond
  the line's hysteresis band) for ``confirm_seconds``, whatever the frame rate; a one-frame flicker
  onto the other side never counts, in either direction. The crossing is stamped with the moment the
  feet crossed, interpolated between the two samples either side of the line, not the moment it was
  confirmed.
- **Through the segment.** Walking round the end of a line is not a crossing.
- **Born past the line.** People coming out of a door or from behind an occlusion are first seen
  already past the line. A track first seen inside the line's door region, or within
  ``birth_heights`` of its own height past the line, that then walks away from it, has crossed.
- **Lost and re-found.** A new track that starts where another was lost moments before, within what
  a person can walk in that time, is the same person: it carries on the old one's crossing state.
- **ID switches.** A track whose feet jump further than a person can move between two samples has
  been given to somebody else by the tracker: from there on it is a new track.
- **Lost after crossing.** A track lost while a crossing was pending (clearly on the new side, but not
  yet for ``confirm_seconds``) counts when it is forgotten, or when ``finish`` is called.

The label of a crossing is the one the track was seen with most often, each sighting weighed by its
confidence (a person the model sees lying down for a few frames still crosses as a person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.geometry import box_overlap

IN, OUT = "in", "out"
EPSILON = 1e-6  # seconds: 2.4 - 2.2 is less than 0.2 in floating point
BORN_ON_OTHER = 0.3  # a new track whose box overlaps a followed one this much is that person again

Point = tuple[float, float]


def inside(point: Point, polygon: Sequence[Point]) -> bool:
    """Whether ``point`` is inside ``polygon`` (ray casting; plain Python, no geometry library)."""
    x, y = point
    result = False
    for (x1, y1), (x2, y2) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


@dataclass(frozen=True)
class Line:
    """A counting line from ``a`` to ``b``; ``in_side`` is "left" or "right" looking from a to b on the picture.

    ``band_px`` is the hysteresis: feet closer to the line than this, in pixels of the analysed picture,
    are on neither side. ``door`` is an optional polygon (normalised) next to the line where people
    appear after coming through it (a door, a turnstile, the far side of an occlusion).
    """

    key: int | str
    a: Point
    b: Point
    in_side: str = "left"
    band_px: float = 4.0
    door: tuple[Point, ...] = ()

    def distance(self, point: Point, size: tuple[int, int]) -> float:
        """Signed distance in pixels from the line: negative is left of a → b on the picture, positive right."""
        width, height = size
        ax, ay, bx, by = self.a[0] * width, self.a[1] * height, self.b[0] * width, self.b[1] * height
        px, py = point[0] * width, point[1] * height
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        return (dx * (py - ay) - dy * (px - ax)) / length  # y points down: negative is left on screen

    def side(self, distance: float) -> int:
        """-1 left, +1 right, 0 within the hysteresis band."""
        if abs(distance) <= self.band_px:
            return 0
        return 1 if distance > 0 else -1

    def direction(self, new_side: int) -> str:
        return IN if (new_side < 0) == (self.in_side == "left") else OUT

    def along(self, point: Point, size: tuple[int, int]) -> float:
        """Where ``point`` projects on the line, as a fraction of it (0 at a, 1 at b)."""
        width, height = size
        ax, ay, bx, by = self.a[0] * width, self.a[1] * height, self.b[0] * width, self.b[1] * height
        dx, dy = bx - ax, by - ay
        length_sq = dx * dx + dy * dy or 1.0
        return ((point[0] * width - ax) * dx + (point[1] * height - ay) * dy) / length_sq

    def crossed_by(self, start: Point, end: Point, size: tuple[int, int], tolerance_px: float) -> bool:
        """Whether the move start → end meets the line within the segment (its ends stretched by ``tolerance_px``)."""
        width, height = size
        ax, ay, bx, by = self.a[0] * width, self.a[1] * height, self.b[0] * width, self.b[1] * height
        dx, dy = bx - ax, by - ay
        length_sq = dx * dx + dy * dy
        if length_sq == 0:
            return False
        sx, sy, ex, ey = start[0] * width, start[1] * height, end[0] * width, end[1] * height
        mx, my = ex - sx, ey - sy
        denominator = dx * my - dy * mx
        if denominator == 0:
            return False  # moving along the line
        # Where the move meets the line, as a fraction along the line (0 at a, 1 at b).
        where = ((sx - ax) * my - (sy - ay) * mx) / denominator
        stretch = tolerance_px / length_sq**0.5
        return -stretch <= where <= 1 + stretch


@dataclass(frozen=True)
class Seen:
    """One tracked object in one frame: ``point`` is where it stands (the counting anchor) and ``box`` its
    box (x1, y1, x2, y2), both normalised; without a box, a point-sized one."""

    track_id: int | None
    label: str
    point: Point
    box: tuple[float, float, float, float] | None = None
    confidence: float = 1.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.box or (self.point[0], self.point[1], self.point[0], self.point[1])

    @property
    def height(self) -> float:
        return self.bounds[3] - self.bounds[1]

    def at_edge(self, margin: float = 0.01) -> bool:
        """Whether the box touches the picture's edge: the person is coming into view, or cut by it."""
        x1, y1, x2, y2 = self.bounds
        return x1 <= margin or y1 <= margin or x2 >= 1 - margin or y2 >= 1 - margin


@dataclass(frozen=True)
class Crossing:
    line: int | str
    track_id: int
    label: str
    direction: str  # IN or OUT
    at: float  # seconds, on the clock ``update`` was given: when the feet crossed


@dataclass
class _Pending:
    side: int  # the side the feet went to
    at: float  # when they crossed the line (interpolated)
    since: float  # first sample clearly on the new side
    samples: int = 1
    through: bool = True  # the move went through the segment, not round its end


@dataclass
class _Birth:
    """A track first seen next to the line: it may have come through it, out of sight."""

    at: float  # first seen
    distance: float  # how far from the line then (signed, pixels)
    side: int = 0  # the side it settled on; 0 while still in the band
    since: float = 0.0


@dataclass
class _LineState:
    side: int = 0  # the confirmed side; 0 until known
    last_clear: Point | None = None  # the last position clearly on the confirmed side
    last_clear_at: float = 0.0
    last_distance: float | None = None  # signed distance of the previous sample
    last_at: float = 0.0
    zero_at: float | None = None  # when the feet were last exactly on the line (interpolated)
    pending: _Pending | None = None
    birth: _Birth | None = None


@dataclass
class _Track:
    key: int  # the counter's own id: a tracker id can be split by an ID switch
    tracker_id: int
    first_at: float
    last_at: float
    point: Point  # normalised
    height_px: float
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    velocity: tuple[float, float] = (0.0, 0.0)  # pixels per second, smoothed
    moves: int = 0
    labels: Counter = field(default_factory=Counter)
    lines: dict[int | str, _LineState] = field(default_factory=dict)

    def label(self) -> str:
        """The label it was seen with most often, weighed by confidence."""
        return self.labels.most_common(1)[0][0]


@dataclass
class LineCounter:
    """Follows every track against every line; ``update`` returns the crossings confirmed by a frame.

    All times are seconds on the caller's clock (a video's time, or a stream's capture time).
    """

    lines: list[Line]
    confirm_seconds: float = 0.2
    birth_heights: float = 0.5  # first seen within this many of its own heights past the line: came through it
    max_speed_heights: float = 4.0  # how far (in its own heights per second) a person can move; more is an ID switch
    stitch_seconds: float = 1.0  # a track lost this recently can be re-found as a new tracker id ...
    walk_speed_heights: float = 0.75  # ... where it would be walking on, give or take this (heights per second)
    forget_seconds: float = 3.0  # unseen this long: the track's state is dropped (pending crossings count)
    warmup_seconds: float = 1.0  # tracks that start this soon after the counter are already there, not born
    # Two tracks on one person (the tracker started a second one): the same crossing within this time, by
    # boxes overlapping at least this much, counts once.
    duplicate_seconds: float = 0.4
    duplicate_overlap: float = 0.5
    # Labels that are a pose of another (person_down: person), and how they cross: as that label. A track
    # seen mostly in such a pose that crosses with someone, boxes overlapping this much, is what they push
    # (a pram, a bicycle the model calls fallen): it counts once, as them.
    count_as: dict[str, str] = field(default_factory=dict)
    pushed_overlap: float = 0.2
    _tracks: dict[int, _Track] = field(default_factory=dict)  # by tracker id, the live ones
    _lost: list[_Track] = field(default_factory=list)  # unseen lately: may be re-found or forgotten
    _next_key: int = 1
    _size: tuple[int, int] = (1, 1)
    _started: float | None = None
    _recent: list[tuple[int | str, str, float, _Track]] = field(default_factory=list)  # (line, direction, at, track)

    def update(self, seen: Iterable[Seen], at: float, size: tuple[int, int]) -> list[Crossing]:
        """The crossings that the objects ``seen`` at time ``at`` on a picture of ``size`` (w, h) confirm."""
        self._size = size
        if self._started is None:
            self._started = at
        self._recent = [r for r in self._recent if at - r[2] <= self.forget_seconds + self.duplicate_seconds]
        crossings: list[Crossing] = []
        present = set()
        for item in seen:
            if item.track_id is None or item.track_id in present:
                continue  # not confirmed by the tracker: never counts
            present.add(item.track_id)
            track = self._track_for(item, at)
            for line in self.lines:
                crossing = self._follow(track, line, item, at)
                if crossing is not None:
                    crossings.append(crossing)
        for tracker_id in [key for key in self._tracks if key not in present]:
            self._lost.append(self._tracks.pop(tracker_id))
        crossings += self._forget(at)
        return crossings

    def finish(self) -> list[Crossing]:
        """The end of the video or stream: crossings still pending count."""
        crossings = [c for track in [*self._tracks.values(), *self._lost] for c in self._flush(track)]
        self._tracks.clear()
        self._lost.clear()
        self._started = None
        return crossings

    # Tracks ------------------------------------------------------------------------------------

    def _track_for(self, item: Seen, at: float) -> _Track:
        height_px = max(item.height * self._size[1], 1.0)
        track = self._tracks.get(item.track_id)
        if track is None:  # missed for a few frames, and the tracker found it again itself
            track = next((t for t in self._lost if t.tracker_id == item.track_id), None)
            if track is not None:
                self._lost.remove(track)
        if track is not None and not self._reachable(track, item.point, height_px, at):
            track.tracker_id = -1  # an ID switch: the old person is lost where they were, their id is not theirs
            self._lost.append(track)
            track = None
        if track is None:
            track = self._refound(item, height_px, at) or self._new_track(item, height_px, at)
        self._tracks[item.track_id] = track
        if at > track.last_at:
            dt, (width, height) = at - track.last_at, self._size
            step = ((item.point[0] - track.point[0]) * width / dt, (item.point[1] - track.point[1]) * height / dt)
            weight = 0.5 if track.moves else 1.0  # the first move is all there is to go on
            track.velocity = tuple((1 - weight) * v + weight * s for v, s in zip(track.velocity, step, strict=True))
            track.moves += 1
        track.last_at, track.point, track.height_px, track.box = at, item.point, height_px, item.bounds
        track.labels[item.label] += item.confidence  # votes weighed by how sure the model was
        return track

    def _new_track(self, item: Seen, height_px: float, at: float) -> _Track:
        track = _Track(self._next_key, item.track_id, at, at, item.point, height_px)
        self._next_key += 1
        return track

    def _reachable(self, track: _Track, point: Point, height_px: float, at: float) -> bool:
        """Whether a person could have moved from where ``track`` was last seen to ``point`` by ``at``."""
        width, height = self._size
        dx, dy = (point[0] - track.point[0]) * width, (point[1] - track.point[1]) * height
        scale = max(height_px, track.height_px)
        # Half a height for boxes that grow or shrink (legs hidden behind a bench, then seen).
        reach = scale * (0.5 + self.max_speed_heights * max(at - track.last_at, 0.0))
        return dx * dx + dy * dy <= reach * reach

    def _miss(self, track: _Track, point: Point, at: float) -> float | None:
        """How far (pixels) ``point`` is from where ``track``, lost, would be by ``at`` walking on as it was;
        None when it is further than a person's stride allows (the person went elsewhere)."""
        gap = at - track.last_at
        if not 0 < gap <= self.stitch_seconds:
            return None
        width, height = self._size
        x = track.point[0] * width + track.velocity[0] * gap
        y = track.point[1] * height + track.velocity[1] * gap
        miss = ((point[0] * width - x) ** 2 + (point[1] * height - y) ** 2) ** 0.5
        # A quarter of a height, and what a change of pace or direction adds while unseen.
        return miss if miss <= track.height_px * (0.25 + self.walk_speed_heights * gap) else None

    def _refound(self, item: Seen, height_px: float, at: float) -> _Track | None:
        """A recently lost track that this new tracker id continues: the one it is where that would be now."""
        misses = [(miss, t) for t in self._lost if (miss := self._miss(t, item.point, at)) is not None]
        if not misses:
            return None
        best = min(misses, key=lambda pair: pair[0])[1]
        self._lost.remove(best)
        best.tracker_id = item.track_id
        for state in best.lines.values():
            state.last_distance = None  # no interpolation across the gap
        return best

    def _forget(self, at: float) -> list[Crossing]:
        stale = [t for t in self._lost if at - t.last_at > self.forget_seconds]
        self._lost = [t for t in self._lost if at - t.last_at <= self.forget_seconds]
        return [c for track in stale for c in self._flush(track)]

    def _flush(self, track: _Track) -> list[Crossing]:
        """A lost track's pending crossings: it was clearly over the line when it vanished."""
        found = []
        for line in self.lines:
            state = track.lines.get(line.key)
            pending = state.pending if state else None
            # Two samples clearly over: not a one-frame flicker. A birth must be seen walking away to count.
            if pending is not None and pending.through and pending.samples >= 2:
                found.append(self._emit(track, line, pending.side, pending.at))
        return [c for c in found if c is not None]

    # Lines -------------------------------------------------------------------------------------

    def _follow(self, track: _Track, line: Line, item: Seen, at: float) -> Crossing | None:
        distance = line.distance(item.point, self._size)
        side = line.side(distance)
        state = track.lines.get(line.key)
        if state is None:
            track.lines[line.key] = self._first_sighting(track, line, item, distance, side, at)
            return None
        previous_distance, previous_at = state.last_distance, state.last_at
        state.last_distance, state.last_at = distance, at
        if previous_distance is not None and previous_distance * distance < 0:
            # Over the line between two samples: when, by interpolation (a queue creeps through the band).
            state.zero_at = previous_at + (at - previous_at) * previous_distance / (previous_distance - distance)
        if side == 0:
            return None  # in the band: no evidence either way
        if state.side == 0:
            state.side, state.last_clear, state.last_clear_at = side, item.point, at  # nothing crossed yet
            if state.birth is not None:
                state.birth.side, state.birth.since = side, at
            return None
        if side == state.side:
            state.last_clear, state.last_clear_at, state.pending = item.point, at, None  # (back from a flicker)
            return self._born(track, line, state, distance, at)
        state.birth = None  # walked over the line in view: an ordinary crossing, if confirmed
        pending = state.pending
        if pending is None:
            crossed = state.zero_at is not None and state.zero_at >= state.last_clear_at
            crossed_at = state.zero_at if crossed else at  # not seen on the line (a re-found track): now
            through = line.crossed_by(state.last_clear, item.point, self._size, line.band_px)
            state.pending = pending = _Pending(side, crossed_at, at, through=through)
        else:
            pending.samples += 1
        if at - pending.since < self.confirm_seconds - EPSILON:
            return None
        state.pending, state.side, state.last_clear, state.last_clear_at = None, side, item.point, at
        if not pending.through:
            return None  # went round the end of the line
        return self._emit(track, line, side, pending.at)

    def _first_sighting(
        self, track: _Track, line: Line, item: Seen, distance: float, side: int, at: float
    ) -> _LineState:
        state = _LineState(
            side=side, last_clear=item.point if side else None, last_clear_at=at, last_distance=distance, last_at=at
        )
        if track.first_at != at or at - self._started < self.warmup_seconds:
            return state  # there when the counter started, or a re-found track: not born here
        if self._known_here(track, at):
            return state  # on someone already followed: the tracker gave them a second id, nobody came through
        if line.door and inside(item.point, line.door):
            state.birth = _Birth(at, distance, side, at)  # out of the door (even at the picture's edge)
            return state
        on_segment = -0.05 <= line.along(item.point, self._size) <= 1.05
        near = abs(distance) <= line.band_px + self.birth_heights * track.height_px
        if on_segment and near and not item.at_edge():  # at the edge: walking into view, not through the line
            state.birth = _Birth(at, distance, side, at)
        return state

    def _known_here(self, track: _Track, at: float) -> bool:
        """Whether a new track's box lies on one already followed, now or moments ago."""
        others = [*self._tracks.values(), *(t for t in self._lost if at - t.last_at <= self.stitch_seconds)]
        return any(other is not track and box_overlap(other.box, track.box) >= BORN_ON_OTHER for other in others)

    def _born(self, track: _Track, line: Line, state: _LineState, distance: float, at: float) -> Crossing | None:
        """A track born next to the line counts as having come through it once it walks away on its side."""
        birth = state.birth
        if birth is None or birth.side != state.side or at - birth.since < self.confirm_seconds - EPSILON:
            return None
        walked = abs(distance) - abs(birth.distance) if birth.distance * distance > 0 else abs(distance)
        if walked < line.band_px:
            return None  # still where it was first seen: standing there, or not yet walking
        state.birth = None
        # When the feet were on the line: back from the first sighting at the speed it walks away.
        speed = walked / max(at - birth.at, 1e-6)
        behind = abs(birth.distance) if birth.distance * distance > 0 else 0.0
        crossed_at = birth.at - min(behind / speed, 1.0)
        return self._emit(track, line, state.side, crossed_at)

    def _emit(self, track: _Track, line: Line, side: int, at: float) -> Crossing | None:
        """The crossing, unless another track on the same person (boxes overlapping) has just made it."""
        direction = line.direction(side)
        for key, other_direction, other_at, other in self._recent:
            same = key == line.key and other_direction == direction and other is not track
            near = abs(other_at - at) <= self.duplicate_seconds
            posed = track.label() in self.count_as or other.label() in self.count_as
            enough = self.pushed_overlap if posed else self.duplicate_overlap
            if same and near and box_overlap(other.box, track.box) >= enough:
                return None
        self._recent.append((line.key, direction, at, track))
        label = track.label()
        return Crossing(line.key, track.key, self.count_as.get(label, label), direction, at)
