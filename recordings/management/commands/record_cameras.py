import logging
import signal

from django.core.management.base import BaseCommand

from recordings.worker import RecorderWorker


class Command(BaseCommand):
    help = (
        "Record the cameras whose recording is on into segments (ffmpeg, no re-encoding) until stopped. "
        "Workers on several hosts share the cameras through Redis leases."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-cameras", type=int, help="cameras this worker records (VIGIL_RECORDING_MAX_PER_WORKER)"
        )
        parser.add_argument("--name", help="worker name in logs and heartbeats (default recorder@host:pid)")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between checks for camera changes")

    def handle(self, *args, max_cameras: int | None, name: str | None, poll: float, **options) -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        worker = RecorderWorker(name=name, capacity=max_cameras)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: worker.stop())
        worker.run(poll=poll)
        self.stdout.write(f"recorder worker {worker.name} stopped")
