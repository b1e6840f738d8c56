"""The live map with a big city: first paint and a pan with 5,000 cameras and 2,000 open events.

    .venv/bin/python bench/map_scale.py [--cameras 5000] [--events 2000] [--runs 3]

Seeds a fresh SQLite database in a temporary folder (cameras spread at random over a 20 x 15 km
city, open events on random cameras in the last hours), starts the embedded Redis and one daphne,
logs in as an operator in chromium (playwright) and opens the map ``--runs`` times, each in a fresh
browser context (no cache) logged in first. Per run it prints, from the start of the map page's
navigation: the first marker or cluster drawn, the map "live" (everything the first view asks for
loaded and drawn), how many marker elements the page holds, the bytes the map's API answers
weighed; then a pan by a whole view and a zoom-in by two levels, each until every request it made
has been answered and the browser has painted twice.

Run it from another checkout to compare (``git archive main | tar -x -C /tmp/before``; copy this
file into its bench/): the timings measure whatever map that tree serves. Browser, server and seeding
share this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

CENTER = (Decimal("52.3700"), Decimal("4.8900"))
PASSWORD = "bench-map-password"  # noqa: S105 - a throwaway user of a throwaway database

# Counts the page's fetches in flight and the bytes of the API's answers (both versions of the map
# use fetch), so a pan can be timed until its requests are answered.
INSTRUMENT = """
window.__bench = { inflight: 0, bytes: 0, requests: 0 };
const realFetch = window.fetch.bind(window);
window.fetch = async (...args) => {
  window.__bench.inflight += 1; window.__bench.requests += 1;
  try {
    const response = await realFetch(...args);
    const copy = response.clone();
    copy.arrayBuffer().then((b) => { window.__bench.bytes += b.byteLength; }).catch(() => {});
    return response;
  } finally { window.__bench.inflight -= 1; }
};
"""
SETTLED = """() => new Promise((resolve) => {
  const check = () => (window.__bench.inflight === 0
    ? requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())))
    : setTimeout(check, 10));
  setTimeout(check, 50);
})"""
MARKERS = ".leaflet-marker-pane > *"


def seed(cameras: int, events: int, rng: random.Random) -> None:
    from django.utils import timezone

    from cameras.models import Camera
    from events.models import Event

    rows = []
    for i in range(cameras):
        # About 20 x 15 km around the centre, six decimal places as the model stores them.
        lat = CENTER[0] + Decimal(rng.uniform(-0.07, 0.07)).quantize(Decimal("0.000001"))
        lon = CENTER[1] + Decimal(rng.uniform(-0.15, 0.15)).quantize(Decimal("0.000001"))
        status = "offline" if rng.random() < 0.03 else "online"
        heading = rng.choice([None, rng.randrange(360)])
        camera = Camera(name=f"Bench camera {i:05d}", slug=f"bench-{i:05d}", source_url="file:///dev/null")
        camera.enabled, camera.latitude, camera.longitude, camera.heading, camera.status = (
            False, lat, lon, heading, status
        )  # fmt: skip
        rows.append(camera)
    made = Camera.objects.bulk_create(rows, batch_size=1000)
    now = timezone.now()
    severities = ["critical", "high", "high", "medium", "medium", "medium", "low", "info"]
    batch = []
    for _ in range(events):
        camera = rng.choice(made)
        seen = now - timedelta(seconds=rng.uniform(60, 6 * 3600))
        severity = rng.choice(severities)
        event = Event(camera=camera, label="person", severity=severity, title=f"Person at {camera.name}")
        event.status = rng.choice(["new", "acknowledged"])
        event.latitude, event.longitude = camera.latitude, camera.longitude
        event.first_seen, event.last_seen = seen - timedelta(minutes=5), seen
        event.hit_count, event.peak_count = 3, 2
        batch.append(event)
    Event.objects.bulk_create(batch, batch_size=1000)


def one_run(browser, url: str, user: str) -> dict:
    # A fresh browser (no cache) per run, logged in first: the timed navigation is the map's alone.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    login = context.new_page()
    login.goto(f"{url}/accounts/login/?next=/accounts/login/")
    login.fill("input[name=username]", user)
    login.fill("input[name=password]", PASSWORD)
    login.click("[type=submit]")
    login.wait_for_url(f"{url}/accounts/login/")
    login.close()
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    page.goto(f"{url}/", wait_until="commit")
    page.wait_for_selector(MARKERS, state="attached", timeout=120_000)
    first = page.evaluate("performance.now()")
    page.wait_for_selector("body[data-connection=live]", timeout=120_000)
    live = page.evaluate(SETTLED)
    start = page.evaluate("performance.getEntriesByType('navigation')[0].startTime")
    result = {
        "first": first - start,
        "live": live - start,
        "markers": page.locator(MARKERS).count(),
        "kbytes": page.evaluate("window.__bench.bytes") / 1024,
    }
    for name, move in (("pan", "m.panBy([m.getSize().x, 0], { animate: false })"),
                       ("zoom", "m.setZoom(m.getZoom() + 2, { animate: false })")):  # fmt: skip
        began = page.evaluate(f"() => {{ const m = window.vigilMap.map; {move}; return performance.now(); }}")
        result[name] = page.evaluate(SETTLED) - began
    context.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=5000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="vigil-bench-map-")
    os.environ.update(DJANGO_SETTINGS_MODULE="vigilsite.settings", VIGIL_DATA_DIR=data_dir)
    os.environ.setdefault("VIGIL_DEMO", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from system import embedded_redis
    from vigilsite.testing import free_port, wait_until

    redis = embedded_redis.start(settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.cameras, args.events, random.Random(args.seed))
    print(f"seeded {args.cameras:,} cameras and {args.events:,} open events in {time.perf_counter() - started:.1f} s")
    user = get_user_model().objects.create_user("bench-operator", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Operators"))

    port = free_port()
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "vigilsite.asgi:application"],
        cwd=BASE_DIR, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import socket

        def answers() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_until(answers, 60, "daphne did not start")
        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            results = [one_run(browser, f"http://127.0.0.1:{port}", user.username) for _ in range(args.runs)]
            browser.close()
    finally:
        daphne.terminate()
        daphne.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"{'run':>4} {'first ms':>9} {'live ms':>8} {'markers':>8} {'API kB':>8} {'pan ms':>7} {'zoom ms':>8}")
    for index, r in enumerate(results, 1):
        print(
            f"{index:>4} {r['first']:>9.0f} {r['live']:>8.0f} {r['markers']:>8} {r['kbytes']:>8.0f} "
            f"{r['pan']:>7.0f} {r['zoom']:>8.0f}"
        )
    for key in ("first", "live", "pan", "zoom"):
        print(f"median {key}: {statistics.median(r[key] for r in results):.0f} ms")


if __name__ == "__main__":
    main()
