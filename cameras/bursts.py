"""Quick bursts of pictures from a snapshot camera, to confirm or drop a suspicion within seconds.

A rule that needs an object seen for a few seconds (someone lying down for 3 s) cannot tell that
from pictures taken every 5 or 10 s. When such a rule first suspects something on an interval
camera, it asks for a burst: a picture every ``BURST_EVERY_SECONDS`` for as long as the rule needs
and a little more, through the normal capture → detect path. Bursts are bounded: one per camera at
a time, then a pause, so a scene that keeps raising suspicions costs a few pictures more, not a storm.
"""

from __future__ import annotations

import logging
import math

from celery import current_app

from cameras.models import Camera
from cameras.services import CAPTURE_TASK
from core.redis import redis_client

logger = logging.getLogger(__name__)

BURST_EVERY_SECONDS = 1.0
BURST_MARGIN_SECONDS = 2.0  # beyond the rule's time: a picture lost or late still leaves enough
BURST_MAX_SECONDS = 20.0  # longer rules ("loitering for 5 minutes") are served by the camera's interval
# After a burst starts, the camera gets no other one for this many burst lengths (the burst included).
BURST_PAUSE_FACTOR = 3


def _key(camera_id: int) -> str:
    return f"vigil:capture:burst:{camera_id}"


def camera_burst_request(*, camera: Camera, seconds: float) -> int:
    """Capture ``camera`` every ``BURST_EVERY_SECONDS`` for ``seconds`` (plus a margin); returns how
    many captures were queued (0: not a snapshot camera, already fast enough, or a burst ran lately).

    The broker calls are guarded like the admin's *Capture now*: a suspicion left unconfirmed is
    confirmed by the next regular pictures instead.
    """
    if camera.capture_mode != Camera.CaptureMode.INTERVAL or camera.capture_interval <= BURST_EVERY_SECONDS:
        return 0
    length = seconds + BURST_MARGIN_SECONDS
    if length > BURST_MAX_SECONDS:
        return 0
    try:
        # SET NX is the claim: of two detect workers suspecting at once, one queues the burst.
        if not redis_client().set(_key(camera.pk), "1", nx=True, ex=math.ceil(length * BURST_PAUSE_FACTOR)):
            return 0
        count = math.ceil(length / BURST_EVERY_SECONDS)
        for n in range(1, count + 1):
            at = n * BURST_EVERY_SECONDS
            # force: the burst ignores the interval's spacing (never the capture lock); a picture that
            # could not start in time is dropped, the next one is fresher.
            expires = at + BURST_EVERY_SECONDS * 2
            current_app.send_task(CAPTURE_TASK, (camera.pk,), {"force": True}, countdown=at, expires=expires)
    except Exception as exc:  # redis or kombu errors, transport-specific
        logger.warning("burst of camera %s not queued: %s", camera.pk, exc)
        return 0
    return count
