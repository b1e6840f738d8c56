"""Celery tasks of detection: ``detect`` queue (GPU hosts) and count housekeeping (``default``)."""

from celery import shared_task

from detection.pipeline import frames_detect_waiting
from detection.services import counts_prune, counts_raw_prune


@shared_task(bind=True, name="detection.tasks.detect_frame", ignore_result=True)
def detect_frame(self, entry: str) -> None:
    """Detect on a queued frame (batched with other waiting frames); quiet when already taken."""
    frames_detect_waiting(entry=entry, redelivered=bool((self.request.delivery_info or {}).get("redelivered")))


@shared_task(name="detection.tasks.prune_counts", ignore_result=True)
def prune_counts() -> None:
    """Drop raw count samples and minute buckets past their retention."""
    counts_raw_prune()
    counts_prune()
