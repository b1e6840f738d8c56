"""Counting accuracy on a hand-counted clip: Vigil against the truth, beside ultralytics' ObjectCounter and
supervision's LineZone (on Vigil's own tracks, and each on its own tracking as its documentation runs it).

    .venv/bin/python bench/counting.py CLIP TRUTH.json [--model NAME|WEIGHTS] [--imgsz 640] [--fps 12.5]
        [--tolerance 0.5] [--peers] [--json OUT.json]

Vigil runs its real path, as ``analyze_video`` does (``flow.video.video_analyse``: the camera's tracker
settings, its counting line from the truth file, crossings recorded in a throw-away SQLite database; no
Redis). Predicted crossings are matched one to one to the hand count within ``--tolerance`` seconds,
same direction, closest first (``flow.evaluation``). The truth format is in docs/counting.md; the file
may live anywhere. Without ``--model`` the install's default model is used; a path to weights makes a
model of them (COCO weights: people are the ``person`` class).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DATA_DIR", tempfile.mkdtemp(prefix="vigil-bench-"))
os.environ.setdefault("VIGIL_DEMO", "false")
# Exports (detection/backends.py) kept between bench runs: each is made and validated once per weights.
os.environ.setdefault(
    "VIGIL_DETECTION_EXPORT_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench-exports")
)

import cv2
import django
import numpy as np

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cameras.models import Camera  # noqa: E402
from detection.detector import weights_path  # noqa: E402
from detection.models import DetectionModel  # noqa: E402
from flow.crossing import IN, OUT, Line  # noqa: E402
from flow.evaluation import Score, Truth, score  # noqa: E402
from flow.models import CountingLine  # noqa: E402
from flow.video import video_analyse  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
PEOPLE = {"person"}  # person_down crosses as person (VIGIL_FLOW_COUNT_AS); the peers get the same classes


def model_for(spec: str | None, imgsz: int | None) -> DetectionModel:
    model = DetectionModel.objects.filter(name=spec).first() if spec else DetectionModel.objects.get(is_default=True)
    if model is None:  # a weights file
        model = DetectionModel.objects.create(name=f"bench {Path(spec).name}", weights=str(Path(spec).resolve()))
    if imgsz:
        model.image_size = imgsz
        model.save()
    return model


def vigil(camera: Camera, clip: Path, fps: float) -> tuple[list[tuple[float, str]], list, float]:
    flow = video_analyse(camera, clip, start=START, fps=fps, keep_tracks=True)
    counted = [(c.at, c.direction) for c in flow.crossings if c.label in PEOPLE]
    return counted, flow.tracks, flow.cpu_seconds


class ObjectCounterReplay:
    """ultralytics' own ``ObjectCounter.count_objects`` (box centres, one count per track id ever), fed tracks."""

    def __init__(self, truth: Truth, size: tuple[int, int]) -> None:
        from shapely.geometry import LineString, Point
        from ultralytics.solutions.object_counter import ObjectCounter

        width, height = size
        self.count_objects = ObjectCounter.count_objects
        self.region = [(truth.start[0] * width, truth.start[1] * height), (truth.end[0] * width, truth.end[1] * height)]
        self.r_s, self.LineString, self.Point = LineString(self.region), LineString, Point
        self.counted_ids, self.names, self.in_count, self.out_count = set(), {0: "object"}, 0, 0
        from collections import defaultdict

        self.classwise_count = defaultdict(lambda: {"IN": 0, "OUT": 0})
        self.previous: dict[int, tuple[float, float]] = {}
        # ObjectCounter's IN is "moving down" (or right, for a steep line): which of our directions is that?
        (ax, ay), (bx, by) = self.region
        mid = ((ax + bx) / 2, (ay + by) / 2)
        probe = (mid[0], mid[1] + 1) if abs(ax - bx) >= abs(ay - by) else (mid[0] + 1, mid[1])
        line = Line("probe", truth.start, truth.end, truth.in_side, band_px=0)
        side = 1 if line.distance((probe[0] / width, probe[1] / height), size) > 0 else -1
        self.their_in = line.direction(side)

    def update(self, boxes: list[tuple[tuple[float, float, float, float], int]], at: float) -> list[tuple[float, str]]:
        found = []
        for (x1, y1, x2, y2), track_id in boxes:
            centre = ((x1 + x2) / 2, (y1 + y2) / 2)
            before = (self.in_count, self.out_count)
            self.count_objects(self, centre, track_id, self.previous.get(track_id), 0)
            if self.in_count > before[0]:
                found.append((at, self.their_in))
            elif self.out_count > before[1]:
                found.append((at, OUT if self.their_in == IN else IN))
            self.previous[track_id] = centre
        return found


class LineZoneReplay:
    """supervision's ``LineZone`` with its defaults (all four box corners must have changed side)."""

    def __init__(self, truth: Truth, size: tuple[int, int]) -> None:
        import supervision as sv

        width, height = size
        self.sv = sv
        start = sv.Point(truth.start[0] * width, truth.start[1] * height)
        end = sv.Point(truth.end[0] * width, truth.end[1] * height)
        self.zone = sv.LineZone(start=start, end=end)
        # Which of LineZone's "in"/"out" is our "in": a small box walked over the middle of the line.
        probe = sv.LineZone(start=start, end=end)
        line = Line("probe", truth.start, truth.end, truth.in_side, band_px=0)
        mid = ((start.x + end.x) / 2, (start.y + end.y) / 2)
        normal = np.array([end.y - start.y, start.x - end.x], dtype=float)
        normal /= np.linalg.norm(normal)
        fired = None
        for step in (-40, 40):
            x, y = mid[0] + normal[0] * step, mid[1] + normal[1] * step
            crossed_in, crossed_out = probe.trigger(self._detections([(x - 3, y - 3, x + 3, y + 3)], [1]))
            fired = (
                crossed_in.any(),
                crossed_out.any(),
                line.direction(1 if line.distance((x / width, y / height), size) > 0 else -1),
            )
        self.their_in = fired[2] if fired[0] else (OUT if fired[2] == IN else IN)

    def _detections(self, boxes: list, ids: list):
        return self.sv.Detections(xyxy=np.array(boxes, dtype=float).reshape(-1, 4), tracker_id=np.array(ids, dtype=int))

    def update(self, boxes: list[tuple[tuple[float, float, float, float], int]], at: float) -> list[tuple[float, str]]:
        if not boxes:
            self.zone.trigger(self._detections([], []))
            return []
        crossed_in, crossed_out = self.zone.trigger(self._detections([b for b, _ in boxes], [t for _, t in boxes]))
        other = OUT if self.their_in == IN else IN
        return [(at, self.their_in)] * int(crossed_in.sum()) + [(at, other)] * int(crossed_out.sum())


def replay(counter, tracks: list, fps: float, size: tuple[int, int]) -> tuple[list[tuple[float, str]], float]:
    """A peer's counting on Vigil's tracks (people only): (crossings, CPU seconds of the counting alone)."""
    width, height = size
    started = time.process_time()
    found = []
    for index, tracked in tracks:
        boxes = [
            ((d.box[0] * width, d.box[1] * height, d.box[2] * width, d.box[3] * height), track_id)
            for d, track_id in tracked
            if track_id is not None and settings.FLOW_COUNT_AS.get(d.label, d.label) in PEOPLE
        ]
        found += counter.update(boxes, index / fps)
    return found, time.process_time() - started


def own_tracking(model: DetectionModel, clip: Path, truth: Truth, fps: float, every: int, size) -> dict:
    """ObjectCounter as its documentation runs it (``counter.process(frame)``, its own model.track at its
    defaults but ByteTrack), and LineZone on ``sv.Detections.from_ultralytics(model.track(frame, persist=True))``."""
    import supervision as sv
    from ultralytics import YOLO
    from ultralytics.solutions import ObjectCounter

    width, height = size
    region = [(truth.start[0] * width, truth.start[1] * height), (truth.end[0] * width, truth.end[1] * height)]
    people = [
        i for i, name in YOLO(weights_path(model)).names.items()
        if settings.FLOW_COUNT_AS.get(model.label_for(name), model.label_for(name)) in PEOPLE
    ]  # fmt: skip
    results = {}
    # ByteTrack at its defaults: the solutions' default tracker (TrackTrack) wants a ReID model from the hub.
    counter = ObjectCounter(model=weights_path(model), region=region, show=False, verbose=False,
                            imgsz=model.image_size, classes=people, tracker="bytetrack.yaml")  # fmt: skip
    mapping = ObjectCounterReplay(truth, size).their_in
    found, started = [], time.process_time()
    for index, image in frames(clip, every):
        before = (counter.in_count, counter.out_count)
        counter.process(image)
        found += [(index / fps, mapping)] * (counter.in_count - before[0])
        found += [(index / fps, OUT if mapping == IN else IN)] * (counter.out_count - before[1])
    results["ObjectCounter, own tracking"] = (found, time.process_time() - started)
    yolo, zone = YOLO(weights_path(model)), LineZoneReplay(truth, size)
    found, started = [], time.process_time()
    for index, image in frames(clip, every):
        result = yolo.track(image, persist=True, imgsz=model.image_size, classes=people, verbose=False,
                            tracker="bytetrack.yaml")[0]  # fmt: skip
        detections = sv.Detections.from_ultralytics(result)
        boxes = (
            []
            if detections.tracker_id is None
            else list(zip(detections.xyxy.tolist(), detections.tracker_id.tolist(), strict=True))
        )
        found += zone.update(boxes, index / fps)
    results["LineZone, own tracking"] = (found, time.process_time() - started)
    return results


def frames(clip: Path, every: int):
    capture = cv2.VideoCapture(str(clip))
    index = 0
    while capture.grab():
        if index % every == 0:
            ok, image = capture.retrieve()
            if not ok:
                break
            yield index, image
        index += 1
    capture.release()


def row(name: str, result: Score | None, cpu: float | None) -> dict:
    if result is None:
        return {"counter": name}
    return {
        "counter": name, "in": result.counted[IN], "out": result.counted[OUT],
        "in_error": result.count_error(IN), "out_error": result.count_error(OUT), "matched": result.matched,
        "precision": result.precision, "recall": result.recall, "median_time_error": result.median_error,
        "cpu_seconds": cpu,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--model", help="a detection model's name, or a weights file (default: the default model)")
    parser.add_argument("--imgsz", type=int, help="inference size (default: the model's own, 640)")
    parser.add_argument(
        "--fps", type=float, help=f"frames per second tracked (default VIGIL_FLOW_FPS, {settings.FLOW_FPS})"
    )
    parser.add_argument("--tolerance", type=float, default=0.5, help="seconds a counted crossing may be off")
    parser.add_argument("--backend", help="pytorch, onnx, openvino (default: the model's own, auto)")
    parser.add_argument("--peers", action="store_true", help="also run ObjectCounter and LineZone")
    parser.add_argument("--json", type=Path, help="write the table here too")
    parser.add_argument("--verbose", action="store_true", help="list Vigil's missed and extra crossings")
    args = parser.parse_args()
    truth = Truth.load(args.truth)
    if args.backend:
        settings.DETECTION_BACKEND = args.backend
    call_command("migrate", verbosity=0)
    model = model_for(args.model, args.imgsz)
    camera = Camera.objects.create(name="Bench", latitude=0, longitude=0, source_url="file:///dev/null",
                                   detection_model=model, motion_gate=False)  # fmt: skip
    CountingLine.objects.create(camera=camera, name="Truth", start=list(truth.start), end=list(truth.end),
                                in_side=truth.in_side, door=truth.door)  # fmt: skip
    capture = cv2.VideoCapture(str(args.clip))
    video_fps = capture.get(cv2.CAP_PROP_FPS) or truth.fps
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    capture.release()
    fps = args.fps or settings.FLOW_FPS
    every = max(1, round(video_fps / fps))
    counted, tracks, cpu = vigil(camera, args.clip, fps)
    mine = score(counted, truth, args.tolerance)
    rows = [{"counter": "hand count", "in": len(truth.times(IN)), "out": len(truth.times(OUT))},
            row("Vigil", mine, cpu)]  # fmt: skip
    if args.verbose:
        for what, items in (("missed", mine.missed), ("extra", mine.extra)):
            for at, direction in items:
                print(f"{what}: {direction} at {at:.2f} s (frame {at * video_fps:.0f})")
    if args.peers:
        for name, counter in (("ObjectCounter, Vigil's tracks", ObjectCounterReplay(truth, size)),
                              ("LineZone, Vigil's tracks", LineZoneReplay(truth, size))):  # fmt: skip
            found, spent = replay(counter, tracks, video_fps, size)
            rows.append(row(name, score(found, truth, args.tolerance), spent))
        for name, (found, spent) in own_tracking(model, args.clip, truth, video_fps, every, size).items():
            rows.append(row(name, score(found, truth, args.tolerance), spent))
    print(f"{args.clip.name}: {size[0]}x{size[1]} at {video_fps:g} fps, tracked at {video_fps / every:g} fps; "
          f"model {model.name}, imgsz {model.image_size}, backend {settings.DETECTION_BACKEND or model.backend}; "
          f"tolerance ±{args.tolerance} s")  # fmt: skip
    print(f"{'counter':32} {'in':>4} {'out':>4} {'in err':>7} {'out err':>7} {'matched':>7} {'P':>5} {'R':>5} "
          f"{'med |dt|':>8} {'CPU s':>7}")  # fmt: skip
    for r in rows:
        if "precision" not in r:
            print(f"{r['counter']:32} {r['in']:>4} {r['out']:>4}")
            continue
        median = "-" if r["median_time_error"] is None else f"{r['median_time_error']:.2f}"
        print(f"{r['counter']:32} {r['in']:>4} {r['out']:>4} {r['in_error']:>7.0%} {r['out_error']:>7.0%} "
              f"{r['matched']:>7} {r['precision']:>5.2f} {r['recall']:>5.2f} {median:>8} "
              f"{r['cpu_seconds']:>7.1f}")  # fmt: skip
    if args.json:
        summary = {"clip": args.clip.name, "truth": args.truth.name, "fps": video_fps / every,
                   "backend": settings.DETECTION_BACKEND or model.backend,
                   "imgsz": model.image_size, "rows": rows}  # fmt: skip
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
