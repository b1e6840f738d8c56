"""The Celery app, configured from Django settings (``CELERY_*``) as Celery's Django guide shows."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Three queues: GPU hosts run workers with ``-Q detect`` only; capture is I/O bound;
# default carries housekeeping (retention of counts, notifications).
QUEUES = ("default", "capture", "detect")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()
