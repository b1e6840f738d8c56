"""The vision vocabulary every app shares: what the detector found in a frame, and the labels it can find.

Here, not in ``detection/detector.py`` (the module that loads YOLO), so that rules, events, flow and
tests speak of detections without importing the detector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Detection:
    """One object found in a frame; the box is (x1, y1, x2, y2) in 0..1 image coordinates."""

    label: str
    confidence: float
    box: tuple[float, float, float, float]
    class_name: str = ""

    @property
    def foot(self) -> tuple[float, float]:
        """The bottom-centre of the box: where a person stands, used for zones."""
        x1, _, x2, y2 = self.box
        return ((x1 + x2) / 2, y2)

    def as_dict(self) -> dict:
        return {**asdict(self), "box": list(self.box)}

    @classmethod
    def from_dict(cls, data: dict) -> Detection:
        return cls(data["label"], data["confidence"], tuple(data["box"]), data.get("class_name", ""))


def boxes_of(result, *, labels: dict | None = None, keep: set | None = None, tracked: bool = False) -> list:
    """An ultralytics result as ``Detection``s (labelled by ``labels``, else the class name).

    With ``tracked``, (detection, track id) pairs; the id is None when not tracking.
    """
    height, width = result.orig_shape
    boxes, names = result.boxes, result.names
    ids = boxes.id.int().cpu().tolist() if boxes.id is not None else [None] * len(boxes)
    found = []
    for (x1, y1, x2, y2), confidence, cls, track_id in zip(
        boxes.xyxy.cpu().numpy().tolist(), boxes.conf.cpu().numpy().tolist(),
        boxes.cls.cpu().numpy().astype(int).tolist(), ids, strict=True,
    ):  # fmt: skip
        name = names.get(cls, str(cls))
        label = labels.get(cls, name) if labels else name
        if keep and label not in keep:
            continue
        box = (_unit(x1 / width), _unit(y1 / height), _unit(x2 / width), _unit(y2 / height))
        detection = Detection(label, round(confidence, 4), box, name)
        found.append((detection, track_id) if tracked else detection)
    return found


def _unit(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 5)


# Where the labels a rule or a notification channel can ask for come from: detection registers its models'
# labels in its AppConfig.ready(), so the forms of the apps below it offer them without importing it.
LABEL_SOURCES: list[Callable[[], Iterable[str]]] = []


def label_source_register(source: Callable[[], Iterable[str]]) -> None:
    """Add ``source`` (a callable returning labels) to those :func:`known_labels` asks; once per callable."""
    if source not in LABEL_SOURCES:
        LABEL_SOURCES.append(source)


def known_labels() -> list[str]:
    """The labels the registered sources (detection's models) can produce, sorted."""
    return sorted({label for source in LABEL_SOURCES for label in source()})
