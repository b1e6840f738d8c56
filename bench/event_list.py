"""How fast the admin's event list renders its first page on the seeded table (``bench/seed_events.py``).

    .venv/bin/python bench/event_list.py [--runs 15]

Renders the whole page in this process, as the web server would (the Django test client:
session, permission checks, every query, the template), logged in as an operator. Each view
is rendered once to warm caches and then ``--runs`` times; prints median, p95 and max, and
the page's query count.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
os.environ.setdefault("VIGIL_DEMO", "false")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from timed_requests import timed_get  # noqa: E402

from cameras.models import Camera  # noqa: E402
from events.models import Event  # noqa: E402

VIEWS = {
    "open events (the default)": "",
    "all statuses": "?status=all",
    "one camera, all statuses": "?status=all&camera__id__exact={camera}",
    "district + critical, all statuses": "?status=all&district=Noord&severity__exact=critical",
    "last 7 days, all statuses": "?status=all&first_seen__gte={week_ago}",
    "search 'crowd', all statuses": "?status=all&q=crowd",
    "page 50 of all statuses": "?status=all&p=50",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(username="bench-operator", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Operators"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    camera = Camera.objects.filter(slug__startswith="bench-").order_by("slug").first()
    week_ago = (timezone.now() - timedelta(days=7)).strftime("%Y-%m-%d")
    total, still_open = Event.objects.count(), Event.objects.filter(status__in=Event.OPEN_STATUSES).count()
    print(f"{connection.vendor}: {total:,} events, {still_open:,} open")
    print(f"{'view':38} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8} {'rows':>5}")
    for name, query in VIEWS.items():
        url = "/admin/events/event/" + query.format(camera=camera.pk if camera else 0, week_ago=week_ago)
        response, queries, timing = timed_get(client, url, args.runs)
        rows = response.content.count(b'<td class="action-checkbox">')
        print(f"{name:38} {timing} {queries:>8} {rows:>5}")


if __name__ == "__main__":
    main()
