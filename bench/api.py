"""How fast the API answers a map client and a dashboard on the seeded tables.

    .venv/bin/python bench/seed_events.py && .venv/bin/python bench/seed_counts.py
    .venv/bin/python bench/api.py [--runs 30]

Each request goes through the whole stack in this process (token authentication, throttle in
Redis when it is reachable, permissions, filters, the query, serialising), as the web server would
run it; the network is not timed. Every view is asked once to warm up, then ``--runs`` times;
prints median, p95 and max, the queries per request and the items in the answer.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DEMO", "false")
os.environ.setdefault("VIGIL_API_THROTTLE_RATE", "1000000/min")  # the bench is one busy client

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from timed_requests import timed_get  # noqa: E402

from accounts.services import api_token_issue  # noqa: E402
from cameras.models import Camera  # noqa: E402
from detection.models import CountMinute, CountSample  # noqa: E402
from events.models import Event  # noqa: E402
from system import embedded_redis  # noqa: E402
from vigilsite.warm_start import load_and_freeze  # noqa: E402

BOX = "4.80,52.30,4.90,52.40"  # about a district: a quarter of the bench cameras


def _views(camera: Camera) -> dict[str, str]:
    now = timezone.now()
    day, week, month = (now - timedelta(days=n) for n in (1, 7, 30))
    resolved_week = {"bbox": BOX, "status": "resolved", "seen_since": week, "seen_before": now}
    events = {
        "events: box + open + last 24 h": {"bbox": BOX, "is_open": "true", "seen_since": day},
        "events: box + resolved + last 7 days": resolved_week,
        "events: same, GeoJSON": {**resolved_week, "format": "geojson"},
        "events: box + resolved + 30 days, 1000": {"bbox": BOX, "status": "resolved", "seen_since": month,
                                                   "page_size": 1000},
        "events: box + false alarms + 30 days": {"bbox": BOX, "status": "false_alarm", "seen_since": month},
    }  # fmt: skip
    counts = {
        "counts: camera, last 24 h by minute": {"camera": camera.pk, "bucket": "minute"},
        "counts: camera, day before by minute": {"camera": camera.pk, "bucket": "minute",
                                                 "since": now - timedelta(days=2), "until": day},
        "counts: district, last 24 h by minute": {"district": camera.district, "bucket": "minute"},
        "counts: camera, 14 days by hour": {"camera": camera.pk, "bucket": "hour",
                                            "since": now - timedelta(days=14)},
    }  # fmt: skip
    return {name: f"/api/events/?{_query(query)}" for name, query in events.items()} | {
        name: f"/api/counts/?{_query(query)}" for name, query in counts.items()
    }


def _query(params: dict) -> str:
    dated = {key: value.isoformat() if isinstance(value, datetime) else value for key, value in params.items()}
    return urlencode(dated)


def _items(body: dict | list) -> int:
    if isinstance(body, dict):
        for key in ("results", "features", "series"):
            if key in body:
                return len(body[key])
    return len(body)


def main() -> None:
    redis = None
    if settings.EMBEDDED_REDIS:  # the throttle counts in Redis on every request, as in production
        redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis",
                                     stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        measure()
    finally:
        if redis is not None:
            redis.terminate()


def measure() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(username="bench-dashboard")
    user.groups.add(Group.objects.get(name="Viewers"))
    _, key = api_token_issue(user=user, name="bench")
    load_and_freeze()  # as vigilsite/asgi.py does in the web server
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {key}")
    camera = Camera.objects.get(pk=CountMinute.objects.order_by().values_list("camera_id", flat=True)[:1])
    print(f"{connection.vendor}: {Event.objects.count():,} events, {CountMinute.objects.count():,} minute buckets, "
          f"{CountSample.objects.count():,} raw samples")  # fmt: skip
    print(f"{'request':44} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8} {'items':>6}")
    for name, url in _views(camera).items():
        response, queries, timing = timed_get(client, url, args.runs)
        print(f"{name:44} {timing} {queries:>8} {_items(response.json()):>6}")


if __name__ == "__main__":
    main()
