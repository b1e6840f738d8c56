"""Beat's recording chores: cut the clips that are due, keep the store within its days and its size."""

from __future__ import annotations

import logging

from celery import shared_task

from core.isolation import is_outage
from recordings.services import clips_due, event_clip_cut, recordings_prune

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def cut_clips(limit: int = 20) -> int:
    """Cut up to ``limit`` due clips; one that fails is logged and the others go on."""
    cut = 0
    for event in clips_due()[:limit]:
        try:
            cut += event_clip_cut(event=event) is not None
        except Exception as exc:
            if is_outage(exc):
                raise
            if isinstance(exc, OSError):  # a full media disk: a line, not a traceback each run; cut when there is room
                logger.warning("the clip of event #%s could not be cut, tried again next time: %s", event.pk, exc)
            else:
                logger.exception("the clip of event #%s could not be cut", event.pk)
    return cut


@shared_task(ignore_result=True)
def prune_recordings() -> int:
    return recordings_prune()
