"""A detect worker killed with SIGKILL in the middle of a batch: its task comes back, and the
batch is recorded exactly once (no frame lost, no count or event doubled)."""

from __future__ import annotations

import os
import signal
import time

import psutil

from core.redis import redis_client
from detection import queue
from system.tests.faults import frames_submit, people_cameras, tally
from vigilsite.testing import wait_until

PER_CAMERA = 3


def _batch_in_progress() -> bool:
    return any(redis_client().scan_iter("vigil:detect:batch:*"))


def _expected(cameras) -> dict:
    return {camera.pk: {"samples": PER_CAMERA, "events": 1, "hits": PER_CAMERA} for camera in cameras}


def _all_recorded(cameras) -> bool:
    done = tally(cameras) == _expected(cameras)
    return done and queue.waiting_count() == 0 and not _batch_in_progress()


def test_a_pool_process_killed_mid_batch_is_redelivered_at_once(offline_model, celery_workers):
    cameras = people_cameras(4)
    submitted = frames_submit(cameras, PER_CAMERA)  # all waiting before the worker starts: full batches
    worker = celery_workers("detect-kill", queue="detect", pool="prefork", concurrency=1)
    wait_until(_batch_in_progress, 60, "the worker never took a batch", every=0.02)  # a warm batch takes < 1 s
    [child] = psutil.Process(worker.pid).children()
    os.kill(child.pid, signal.SIGKILL)  # loading the model or detecting: a batch is taken, not recorded

    wait_until(lambda: _all_recorded(cameras), 180, lambda: f"tally {tally(cameras)}")
    time.sleep(3)  # a duplicate run would land now
    assert tally(cameras) == _expected(cameras)
    assert sum(t["samples"] for t in tally(cameras).values()) == submitted
    log = worker.log_path.read_text()
    assert "WorkerLostError" in log and "SIGKILL" in log  # the kill hit a task in flight


def test_a_whole_worker_killed_mid_batch_is_redelivered_after_the_visibility_timeout(offline_model, celery_workers):
    limits = {
        "VIGIL_TASK_SOFT_TIME_LIMIT": "10",
        "VIGIL_TASK_TIME_LIMIT": "15",
        "VIGIL_BROKER_VISIBILITY_TIMEOUT": "20",
    }
    cameras = people_cameras(3)
    frames_submit(cameras, PER_CAMERA)
    first = celery_workers("detect-doomed", queue="detect", pool="threads", concurrency=1, **limits)
    wait_until(_batch_in_progress, 60, "the worker never took a batch", every=0.02)  # a warm batch takes < 1 s
    os.kill(first.pid, signal.SIGKILL)  # the machine lost the process: nobody rejects the task
    first.wait(10)
    assert tally(cameras) != _expected(cameras)

    celery_workers("detect-heir", queue="detect", pool="threads", concurrency=1, **limits)
    wait_until(lambda: _all_recorded(cameras), 180, lambda: f"tally {tally(cameras)}")
    time.sleep(3)
    assert tally(cameras) == _expected(cameras)
