"""The Celery app, configured from Django settings (``CELERY_*``) as Celery's Django guide shows."""

import os

from celery import Celery
from kombu import Queue

from system.heartbeats import QUEUES, HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]
# Each worker records its queues in Redis every few seconds; /healthz reads that, never the broker.
app.steps["consumer"].add(HeartbeatStep)
app.autodiscover_tasks()
