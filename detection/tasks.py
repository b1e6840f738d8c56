"""Celery tasks of detection: ``detect`` queue (GPU hosts) and count housekeeping (``default``)."""

from celery import shared_task
from django.db import DatabaseError

from detection.pipeline import frames_detect_waiting
from detection.services import counts_prune, counts_raw_prune


@shared_task(
    bind=True,
    name="detection.tasks.detect_frame",
    ignore_result=True,
    # The database restarting: try again with growing waits; the batch stays recorded in Redis
    # until it is done, so the retry takes the same frames and already recorded ones are skipped.
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=10,
)
def detect_frame(self, entry: str) -> None:
    """Detect on a queued frame (batched with other waiting frames); quiet when already taken."""
    again = self.request.retries > 0 or bool((self.request.delivery_info or {}).get("redelivered"))
    frames_detect_waiting(entry=entry, batch_id=self.request.id or "", redelivered=again)


@shared_task(name="detection.tasks.prune_counts", ignore_result=True)
def prune_counts() -> None:
    """Drop raw count samples and minute buckets past their retention."""
    counts_raw_prune()
    counts_prune()
