"""Scoring counted crossings against a hand count: matched one to one within a tolerance in seconds.

The truth format is documented in docs/counting.md; a truth file may live anywhere (a city's own clips
stay outside the repository). Used by ``bench/counting.py`` and by the real-clip tests.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from flow.crossing import IN, OUT

DIRECTIONS = (IN, OUT)


class BadTruth(ValueError):
    """A truth file that does not follow the format; the message says where."""


@dataclass(frozen=True)
class TruthCrossing:
    frame: int
    direction: str
    note: str = ""


@dataclass(frozen=True)
class Truth:
    clip: str
    fps: float
    start: tuple[float, float]
    end: tuple[float, float]
    in_side: str
    crossings: tuple[TruthCrossing, ...]
    door: list[list[float]] = field(default_factory=list)  # the line's door or hidden area, if any

    @classmethod
    def load(cls, path: Path) -> Truth:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise BadTruth(f"{path}: {exc}") from None
        return cls.parse(data, where=str(path))

    @classmethod
    def parse(cls, data: object, where: str = "truth") -> Truth:
        if not isinstance(data, dict):
            raise BadTruth(f"{where}: an object with clip, fps, line and crossings")
        try:
            line = data["line"]
            start, end = _point(line["start"]), _point(line["end"])
            in_side = line["in_side"]
            fps = float(data["fps"])
            crossings = tuple(
                TruthCrossing(int(c["frame"]), c["direction"], str(c.get("note", c.get("who", ""))))
                for c in data["crossings"]
            )
            clip = str(data["clip"])
            door = [list(_point(p)) for p in line.get("door", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadTruth(f"{where}: missing or wrong {exc}") from None
        if in_side not in ("left", "right"):
            raise BadTruth(f"{where}: line.in_side must be left or right, not {in_side!r}")
        if not fps > 0:
            raise BadTruth(f"{where}: fps must be more than 0")
        if start == end:
            raise BadTruth(f"{where}: the line's start and end are the same point")
        for crossing in crossings:
            if crossing.direction not in DIRECTIONS or crossing.frame < 0:
                raise BadTruth(f"{where}: crossing {crossing} needs a frame >= 0 and direction in or out")
        if door and len(door) < 3:
            raise BadTruth(f"{where}: line.door is a polygon of 3 points or more")
        return cls(clip, fps, start, end, in_side, crossings, door)

    def times(self, direction: str) -> list[float]:
        """When the crossings happened, seconds from the clip's start. ``frame`` is the first frame with the
        feet over, so they crossed between it and the frame before: half a frame earlier, on average."""
        return [(c.frame - 0.5) / self.fps for c in self.crossings if c.direction == direction]


def _point(value: object) -> tuple[float, float]:
    x, y = value  # type: ignore[misc]
    x, y = float(x), float(y)
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError(f"point {value} (coordinates are fractions of the picture, 0 to 1)")
    return x, y


@dataclass
class Score:
    """How a counter did on one clip: totals per direction, one-to-one matches and their time errors."""

    counted: dict[str, int] = field(default_factory=dict)
    true: dict[str, int] = field(default_factory=dict)
    matched: int = 0
    errors: list[float] = field(default_factory=list)  # counted - true, seconds, of matched crossings
    missed: list[tuple[float, str]] = field(default_factory=list)  # true crossings nothing matched
    extra: list[tuple[float, str]] = field(default_factory=list)  # counted crossings that match none

    @property
    def precision(self) -> float:
        total = sum(self.counted.values())
        return self.matched / total if total else (1.0 if not sum(self.true.values()) else 0.0)

    @property
    def recall(self) -> float:
        total = sum(self.true.values())
        return self.matched / total if total else 1.0

    @property
    def median_error(self) -> float | None:
        """Median absolute time error of matched crossings, seconds."""
        return statistics.median(abs(e) for e in self.errors) if self.errors else None

    def count_error(self, direction: str) -> float:
        """Relative error of the total in one direction (0.05 = 5 %)."""
        true = self.true[direction]
        return abs(self.counted[direction] - true) / true if true else float(self.counted[direction])


def score(counted: list[tuple[float, str]], truth: Truth, tolerance: float = 0.5) -> Score:
    """Match ``counted`` (seconds from the clip's start, direction) to the truth, one to one, same direction,
    within ``tolerance`` seconds; the closest pairs are matched first."""
    result = Score()
    for direction in DIRECTIONS:
        true = truth.times(direction)
        mine = [at for at, d in counted if d == direction]
        result.counted[direction], result.true[direction] = len(mine), len(true)
        pairs = sorted(
            (abs(m - t), i, j) for i, t in enumerate(true) for j, m in enumerate(mine) if abs(m - t) <= tolerance
        )
        used_true, used_mine = set(), set()
        for _, i, j in pairs:
            if i in used_true or j in used_mine:
                continue
            used_true.add(i)
            used_mine.add(j)
            result.matched += 1
            result.errors.append(mine[j] - true[i])
        result.missed += [(t, direction) for i, t in enumerate(true) if i not in used_true]
        result.extra += [(m, direction) for j, m in enumerate(mine) if j not in used_mine]
    return result
