"""Celery tasks of detection: ``detect`` queue (GPU hosts) and count housekeeping (``default``)."""

import logging
import random

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.db import DatabaseError

from detection.backends import host_summary
from detection.pipeline import frames_detect_waiting
from detection.services import counts_prune, counts_raw_prune

logger = logging.getLogger(__name__)
DATABASE_RETRIES = 10


@celeryd_after_setup.connect
def _say_detection_runtime(sender, instance, **kwargs) -> None:
    """A detect worker says, as it starts, which runtime and how many threads it will run models with."""
    if "detect" in instance.app.amqp.queues.consume_from:
        logger.info(host_summary())


@shared_task(bind=True, name="detection.tasks.detect_frame", ignore_result=True)
def detect_frame(self, entry: str) -> None:
    """Detect on a queued frame (batched with other waiting frames); quiet when already taken.

    When the database is restarting the task is retried with growing waits (2 s doubling, at most
    60 s, jittered). The batch stays recorded in Redis until it is done, so the retry takes the
    same frames again, and frames already recorded are skipped.
    """
    again = self.request.retries > 0 or bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        frames_detect_waiting(entry=entry, batch_id=self.request.id or "", redelivered=again)
    except DatabaseError as exc:
        wait = min(60, 2 * 2**self.request.retries) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter
        logger.warning("detection waits %.0f s for the database (try %d): %s", wait, self.request.retries + 1, exc)
        raise self.retry(exc=exc, countdown=wait, max_retries=DATABASE_RETRIES) from None


@shared_task(name="detection.tasks.prune_counts", ignore_result=True)
def prune_counts() -> None:
    """Drop raw count samples and minute buckets past their retention."""
    counts_raw_prune()
    counts_prune()
