"""Fill the configured database with a city's year of events, for the event-list benchmarks.

    .venv/bin/python manage.py migrate
    .venv/bin/python bench/seed_events.py [--events 1000000] [--cameras 200] [--days 365]

Uses the database of the settings (``VIGIL_DATABASE_URL``, else the SQLite file in ``VIGIL_DATA_DIR``).
The events are spread evenly over ``--days``, on cameras in ten districts, from a
few rules; events older than a day are closed (resolved, some false alarms) like a working
control room leaves them, the last day's are mostly still open. Snapshot files are not written
(rows name one), so the list's thumbnails are separate requests that this does not time.
Removes the events of an earlier run on the same "Bench" cameras first.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402
from django.utils import timezone  # noqa: E402

from cameras.models import Camera  # noqa: E402
from events.models import Event, ThreatRule  # noqa: E402

DISTRICTS = ["Centrum", "Noord", "Oost", "Zuid", "West", "Nieuw-West", "Zuidoost", "Haven", "Park", "Station"]
RULES = [  # name, labels, severity, radius, weight
    ("Bench: person at night", ["person"], "medium", 50, 50),
    ("Bench: crowd", ["person"], "high", 120, 25),
    ("Bench: person down", ["person_down"], "critical", 80, 10),
    ("Bench: vehicle in pedestrian zone", ["vehicle"], "low", 40, 15),
]
BATCH = 5000


def bench_cameras(count: int) -> list[Camera]:
    have = {c.slug: c for c in Camera.objects.filter(slug__startswith="bench-")}
    for i in range(len(have), count):
        slug = f"bench-{i:04d}"
        if slug not in have:
            have[slug] = Camera.objects.create(
                name=f"Bench camera {i:04d}", slug=slug, source_url="file:///dev/null", enabled=False,
                district=DISTRICTS[i % len(DISTRICTS)],
                latitude=Decimal("52.3") + Decimal(i % 37) / 200, longitude=Decimal("4.8") + Decimal(i % 41) / 200,
            )  # fmt: skip
    return [have[slug] for slug in sorted(have)][:count]


def _rules() -> list[tuple[ThreatRule, int]]:
    out = []
    for name, labels, severity, radius, weight in RULES:
        rule, _ = ThreatRule.objects.get_or_create(
            name=name,
            defaults={"labels": labels, "severity": severity, "danger_radius_m": radius, "enabled": False,
                      "recommended_actions": "Check the camera; send the nearest unit if confirmed."},
        )  # fmt: skip
        out.append((rule, weight))
    return out


def _operators() -> list[User]:
    group = Group.objects.filter(name="Operators").first()
    users = []
    for name in ("bench-ana", "bench-bo", "bench-chris"):
        user, _ = User.objects.get_or_create(username=name)
        if group:
            user.groups.add(group)
        users.append(user)
    return users


def seed(events: int, cameras: int, days: int, rng: random.Random) -> None:
    camera_rows = bench_cameras(cameras)
    rules = _rules()
    operators = _operators()
    Event.objects.filter(camera__slug__startswith="bench-").delete()
    now = timezone.now()
    span = days * 86400
    rule_pick = [rule for rule, weight in rules for _ in range(weight)]
    started = time.perf_counter()
    made = 0
    while made < events:
        batch = []
        for _ in range(min(BATCH, events - made)):
            age = rng.random() * span
            first_seen = now - timedelta(seconds=age)
            camera = rng.choice(camera_rows)
            rule = rng.choice(rule_pick)
            closed = age > 86400 or rng.random() < 0.3
            status = (("resolved" if rng.random() < 0.8 else "false_alarm") if closed
                      else rng.choice(["new", "new", "acknowledged", "dispatched"]))  # fmt: skip
            hits = rng.randint(1, 40)
            event = Event(
                camera=camera, rule=rule, label=rule.labels[0], severity=rule.severity, status=status,
                title=f"{rule.name.removeprefix('Bench: ').capitalize()} at {camera.name}",
                latitude=camera.latitude, longitude=camera.longitude, danger_radius_m=rule.danger_radius_m,
                first_seen=first_seen, last_seen=first_seen + timedelta(seconds=hits * 5), hit_count=hits,
                peak_count=rng.randint(1, 30), recommended_actions=rule.recommended_actions,
                annotated_snapshot="events/bench.jpg", snapshot="events/bench.jpg",
                assignee=rng.choice(operators) if status != "new" else None,
                resolution_note="Handled on site" if closed else "",
                resolved_at=first_seen + timedelta(minutes=20) if closed else None,
            )  # fmt: skip
            batch.append(event)
        with transaction.atomic():
            Event.objects.bulk_create(batch)
        made += len(batch)
        if made % 100_000 == 0 or made == events:
            rate = made / (time.perf_counter() - started)
            print(f"{made:>9,} events ({rate:,.0f}/s)", flush=True)
    # An event last changed when it was last seen or closed (the API lists by that); bulk_create
    # stamped them all with now.
    Event.objects.filter(camera__slug__startswith="bench-").update(updated_at=Coalesce("resolved_at", "last_seen"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cameras", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    seed(args.events, args.cameras, args.days, random.Random(args.seed))
    open_events = Event.objects.filter(status__in=Event.OPEN_STATUSES).count()
    print(f"total {Event.objects.count():,} events, {open_events:,} open, on {args.cameras} cameras")


if __name__ == "__main__":
    main()
