from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from cameras.models import Camera
from detection.detector import WeightsUnavailable
from detection.pipeline import frames_analyse
from detection.video import UnreadableVideo, video_frames, video_info
from flow.video import video_analyse


class Command(BaseCommand):
    help = (
        "Run the whole pipeline (motion gate, detection, counts, threat rules, events) over a recorded "
        "video as if a camera had seen it: for forensics and backfills. A camera with counting lines is "
        "tracked frame after frame (at --fps) in one pass that also counts the crossings. Needs no Redis. "
        "Running the same file with the same --start twice changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("camera", help="The camera's slug or id.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--every", type=float, default=1.0, help="Seconds of video between analysed frames.")
        parser.add_argument(
            "--start", help="When the recording started (ISO 8601, site time zone if no offset); default now."
        )
        parser.add_argument("--no-motion-gate", action="store_true", help="Analyse every sampled frame.")
        parser.add_argument(
            "--no-crossings", action="store_true",
            help="Do not count crossings of the camera's counting lines: only the frames every --every seconds "
            "are detected, in batches, without tracking.",
        )  # fmt: skip
        parser.add_argument(
            "--fps", type=float, default=None,
            help="Frames per second tracked when counting crossings (default VIGIL_FLOW_FPS).",
        )  # fmt: skip
        parser.add_argument(
            "--batch", type=int, default=None, help="Frames per inference batch (default VIGIL_DETECTION_BATCH_SIZE)."
        )

    def handle(self, *args, camera: str, file: Path, every: float, start: str | None, **options) -> None:
        found = Camera.objects.filter(slug=camera).first() or (
            Camera.objects.filter(pk=int(camera)).first() if camera.isdigit() else None
        )
        if found is None:
            raise CommandError(f"No camera {camera!r} (give its slug or id).")
        if every <= 0:
            raise CommandError("--every must be more than 0 seconds.")
        started = _parse_start(start)
        try:
            fps, total = video_info(file)
        except UnreadableVideo as exc:
            raise CommandError(str(exc)) from None
        gate = not options["no_motion_gate"]
        if options["fps"] is not None and options["fps"] <= 0:
            raise CommandError("--fps must be more than 0.")
        if not options["no_crossings"] and found.counting_lines.filter(enabled=True).exists():
            self._tracked(found, file, started, every=every, fps=options["fps"], gate=gate)
            return
        batch = options["batch"] or settings.DETECTION_BATCH_SIZE
        sampled = max(1, round(fps * every))
        outcomes = []
        pending = []
        references: dict = {}  # the motion gate's memory: this process sees every frame
        # tqdm needs the raw stream: Django's wrapper ends every write with a newline.
        progress = tqdm(total=(total + sampled - 1) // sampled or None, unit="frame", file=self.stderr._out)
        try:
            for _, frame in video_frames(file, every_seconds=every, start=started):
                pending.append((found, frame))
                if len(pending) == batch:
                    outcomes += frames_analyse(pending, batch_size=batch, motion_gate=gate, gate_references=references)
                    progress.update(len(pending))
                    pending = []
            if pending:
                outcomes += frames_analyse(pending, batch_size=batch, motion_gate=gate, gate_references=references)
                progress.update(len(pending))
        finally:
            progress.close()
        self._summary(found, outcomes)

    def _tracked(self, camera: Camera, file: Path, started: datetime, *, every: float, fps, gate: bool) -> None:
        """One pass: track every frame (at --fps), count crossings, and send one frame a --every through rules."""
        progress = tqdm(unit="frame", desc="tracking", file=self.stderr._out)
        try:
            flow = video_analyse(camera, file, start=started, fps=fps, every=every, motion_gate=gate,
                                 progress=progress.update)  # fmt: skip
        except (WeightsUnavailable, UnreadableVideo) as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
        self._summary(camera, flow.outcomes)
        totals = flow.totals()
        self.stdout.write(f"Crossings ({flow.frames} frames tracked, {flow.recorded} new records):")
        for line in camera.counting_lines.filter(enabled=True):
            self.stdout.write(f"  {line.name}: {totals[(line.pk, 'in')]} in, {totals[(line.pk, 'out')]} out")
        now, peak = flow.occupancy()
        self.stdout.write(f"Occupancy over the file (people): {now} at the end, peak {peak}")

    def _summary(self, camera: Camera, outcomes: list) -> None:
        errors = {o.error for o in outcomes if o.error}
        if errors:
            raise CommandError("; ".join(sorted(errors)))
        labels = Counter(d.label for o in outcomes for d in o.detections or [])
        peaks = Counter()
        for o in outcomes:
            for label, n in Counter(d.label for d in o.detections or []).items():
                peaks[label] = max(peaks[label], n)
        if not outcomes:
            self.stdout.write("The video has no frames.")
            return
        window = (outcomes[0].frame.captured_at, outcomes[-1].frame.captured_at)
        events = camera.events.filter(kind="detection", last_seen__gte=window[0], first_seen__lte=window[1])
        self.stdout.write(
            f"{len(outcomes)} frames analysed, {sum(o.unchanged for o in outcomes)} unchanged, "
            f"{sum(not o.recorded for o in outcomes)} already recorded before."
        )
        for label, total in labels.most_common():
            self.stdout.write(f"  {label}: {total} detections, at most {peaks[label]} in one frame")
        self.stdout.write(f"Events of {camera.name} during the video: {events.count()}")
        for event in events.order_by("first_seen"):
            self.stdout.write(
                f"  #{event.pk} {event.title} [{event.severity}] hits={event.hit_count} peak={event.peak_count}"
            )


def _parse_start(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start {value!r} is not an ISO 8601 date and time.") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
