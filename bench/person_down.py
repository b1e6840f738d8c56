"""What the offline model's ``Fall`` class does on the shared clips: the figures behind the default
*Person down* rule's thresholds (docs/benchmarks.md, "Person down").

    VIGIL_TEST_MEDIA=../shared/media .venv/bin/python bench/person_down.py [--clips a.mp4,b.mp4] [--json OUT]

The install's default model (the offline one) runs tracked on every frame of each clip, and on
ultralytics' bus.jpg and zidane.jpg turned 90° both ways (10 copies each: a person lying still).
Boxes are judged by the rule engine itself (``events.rules``): lying, clear of the edge, big and
confident enough as the demo *Person down* rule asks; a run of one object is followed as the rule
follows it (same track, overlapping its first box, gaps no longer than ``SIGHTING_GAP_SECONDS``).
Positives: every few frames of each clip turned 90° (standing people become lying ones), untracked;
the share of their qualifying boxes kept at each confidence floor says where the floor can sit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")

import cv2
import django
import numpy as np

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from core.vision import Detection  # noqa: E402
from detection.detector import Detector  # noqa: E402
from detection.models import DetectionModel  # noqa: E402
from events.models import ThreatRule  # noqa: E402
from events.rules import EDGE_MARGIN, SAME_OBJECT_IOU, SIGHTING_GAP_SECONDS, rule_matches, sightings_follow  # noqa: E402
from events.services import rule_demo_seed  # noqa: E402
from flow.tracking import TrackingDetector  # noqa: E402

CLIPS = ["concourse.mp4", "street.mp4", "office.mp4", "lobby.mp4"]
TURNS = {"left": cv2.ROTATE_90_COUNTERCLOCKWISE, "right": cv2.ROTATE_90_CLOCKWISE}
PHOTOS = ["bus.jpg", "zidane.jpg"]  # ultralytics' own assets: turned left, bus.jpg's people lie clear of the edge
PHOTO_COPIES = 10  # at one a second: a person lying still for 10 s
TURNED_EVERY = {"office.mp4": 10, "lobby.mp4": 20, "street.mp4": 30, "concourse.mp4": 34}  # 222 pictures; others: 10
FLOORS = (0.35, 0.4, 0.45, 0.5, 0.6)
DOWN = "person_down"
RUN = "longest run of one object (any box)"  # seconds

# What a box must be to count, column by column; the last is the demo rule itself.
LYING = ThreatRule(labels=[DOWN], min_confidence=0, box_shape=ThreatRule.BoxShape.LYING)
LYING_CLEAR = ThreatRule(labels=[DOWN], min_confidence=0, box_shape=ThreatRule.BoxShape.LYING, ignore_edge=True)


def frames(clip: Path) -> tuple[float, Iterator[np.ndarray]]:
    """A clip's frame rate and its frames, read one at a time (lobby.mp4 is 1394 of them)."""
    capture = cv2.VideoCapture(str(clip))
    if not capture.isOpened():
        raise SystemExit(f"cannot open {clip}")

    def read() -> Iterator[np.ndarray]:
        while True:
            ok, image = capture.read()
            if not ok:
                capture.release()
                return
            yield image

    return capture.get(cv2.CAP_PROP_FPS) or 25.0, read()


def longest_run(seen: list[tuple[float, list[tuple[Detection, int | None]]]]) -> float:
    """Seconds the longest-followed object lasted, followed as a sustained rule follows it."""
    sightings, best = [], 0.0
    for at, found in seen:
        sightings = sightings_follow(sightings, found, at=at, gap=SIGHTING_GAP_SECONDS)
        best = max([best] + [s.seen - s.since for s in sightings])
    return best


def measure(
    name: str,
    images: Iterable[np.ndarray],
    fps: float,
    model: DetectionModel,
    rule: ThreatRule,
    turned: list[np.ndarray] | None = None,
) -> dict:
    """One clip (or one turned photo), tracked frame by frame: the table's row. Every few frames go
    into ``turned``, turned both ways, for the positives."""
    every = TURNED_EVERY.get(name, 10)
    tracker = TrackingDetector(model)
    seen: list[tuple[float, list[tuple[Detection, int | None]]]] = []
    count = 0
    for index, image in enumerate(images):
        count += 1
        height, width = image.shape[:2]
        falls = [(d, track) for d, track in tracker.track(image) if d.label == DOWN]
        seen.append((index / fps, falls))
        if turned is not None and index % every == 0:
            turned += [cv2.rotate(image, turn) for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)]
    boxes = [(d, frame) for frame, (_, found) in enumerate(seen) for d, _ in found]
    size = (width, height)

    def kept(rule_: ThreatRule) -> list[tuple[Detection, int]]:
        return [(d, frame) for d, frame in boxes if rule_matches(rule_, [d], frame_size=size)]

    def max_conf(chosen: list[tuple[Detection, int]]) -> float | None:
        return max((d.confidence for d, _ in chosen), default=None)

    lying = kept(LYING)
    return {
        "clip": name,
        "frames": count,
        "frames with a Fall box": len({frame for _, frame in boxes}),
        "… ≥ 0.5": len({frame for d, frame in boxes if d.confidence >= 0.5}),
        "max conf": max_conf(boxes),
        RUN: round(longest_run(seen), 2) if boxes else None,
        "frames with a lying Fall box": len({frame for _, frame in lying}),
        "lying, max conf": max_conf(lying),
        f"lying and clear of the edge ({EDGE_MARGIN * 100:g} %)": len({frame for _, frame in kept(LYING_CLEAR)}),
        f"+ ≥ {rule.min_box_percent} % and ≥ {rule.min_confidence}": len({frame for _, frame in kept(rule)}),
    }


def positives(turned: dict[str, list[np.ndarray]], model: DetectionModel, rule: ThreatRule) -> dict:
    """Confidence of the boxes the rule would take (bar the floor) on the clips' turned frames."""
    detector = Detector(model)
    shape_only = ThreatRule(**{f: getattr(rule, f) for f in ("labels", "box_shape", "ignore_edge", "min_box_percent")},
                            min_confidence=0)  # fmt: skip
    by_clip: dict[str, list[float]] = {}
    for clip, images in turned.items():
        for image in images:
            height, width = image.shape[:2]
            found = rule_matches(shape_only, detector.detect([image])[0], frame_size=(width, height))
            by_clip.setdefault(clip, []).extend(d.confidence for d in found)
    every = [c for confs in by_clip.values() for c in confs]
    return {
        "pictures": sum(len(images) for images in turned.values()),
        "boxes": len(every),
        "min": min(every, default=None),
        "max": max(every, default=None),
        "median by clip": {clip: statistics.median(confs) for clip, confs in by_clip.items() if confs},
        "share kept (%)": {
            floor: round(100 * sum(c >= floor for c in every) / len(every), 1) if every else None for floor in FLOORS
        },
    }


def cell(value: object, spec: str = ".2f") -> str:
    """A table cell as docs/benchmarks.md writes it."""
    if value is None:
        return "—"
    return format(value, spec) if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=",".join(CLIPS), help="comma-separated clips in VIGIL_TEST_MEDIA")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    media = Path(os.environ.get("VIGIL_TEST_MEDIA", "../shared/media")).resolve()
    call_command("migrate", verbosity=0)
    rule_demo_seed()
    with translation.override(settings.LANGUAGE_CODE):  # the demo's rules are named in VIGIL_LANGUAGE
        rule = ThreatRule.objects.get(name=gettext("Person down"))
    model = DetectionModel.objects.get(is_default=True)
    rows, turned = [], {}
    for clip in filter(None, args.clips.split(",")):
        fps, images = frames(media / clip)
        rows.append(measure(clip, images, fps, model, rule, turned.setdefault(clip, [])))
        print(f"{clip}: done", file=sys.stderr, flush=True)
    for photo, (way, turn) in ((p, t) for p in PHOTOS for t in TURNS.items()):
        image = cv2.rotate(cv2.imread(str(settings.ULTRALYTICS_ASSETS / photo)), turn)
        rows.append(measure(f"{photo} turned {way}", [image] * PHOTO_COPIES, 1.0, model, rule))
    found = positives(turned, model, rule)

    run = f"same track, IoU ≥ {SAME_OBJECT_IOU} with its first box, gaps ≤ {SIGHTING_GAP_SECONDS} s"
    print(f"{model.name} ({model.weights}), tracked, every frame. Run of one object: {run}.\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("|---" * len(rows[0]) + "|")
    for row in rows:
        print("| " + " | ".join(cell(v) + (" s" if k == RUN and v is not None else "") for k, v in row.items()) + " |")
    medians = found["median by clip"].values()
    print(f"\nTurned clip frames: {found['boxes']} lying, clear, ≥ {rule.min_box_percent} % Fall boxes on "
          f"{found['pictures']} pictures: confidence min {cell(found['min'])}, median "
          f"{cell(min(medians, default=None))}-{cell(max(medians, default=None))} by clip, max {cell(found['max'])}; "
          f"share kept at a floor of {' / '.join(map(str, FLOORS))}: "
          f"{' / '.join(cell(s, '.1f') for s in found['share kept (%)'].values())} %")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "turned clip frames": found}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
