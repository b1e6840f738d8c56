import logging
import signal

from django.core.management.base import BaseCommand

from core.stacks import dump_threads_on
from detection.backends import host_summary
from streams.worker import StreamWorker


class Command(BaseCommand):
    help = (
        "Analyse the cameras in stream mode continuously (tracking, crossings, counts, rules) until stopped. "
        "Run one per GPU host: workers share the cameras through Redis leases."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--max-streams", type=int, help="streams this worker holds (VIGIL_STREAM_MAX_PER_WORKER)")
        parser.add_argument("--name", help="worker name in logs and heartbeats (default streams@host:pid)")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between checks for camera changes")

    def handle(self, *args, max_streams: int | None, name: str | None, poll: float, **options) -> None:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        worker = StreamWorker(name=name, capacity=max_streams)
        logging.getLogger(__name__).info(host_summary())
        # A worker that seems stuck: `kill -USR1 <pid>` writes where each of its threads is to its log.
        dump_threads_on(signal.SIGUSR1)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: worker.stop())
        worker.run(poll=poll)
        self.stdout.write(f"stream worker {worker.name} stopped")
