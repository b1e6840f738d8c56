"""The flow dashboard (counts, entries and exits, occupancy; per camera or all) and its CSV export."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET

from cameras.models import Camera
from flow import charts, selectors
from flow.live import camera_counters

RANGES = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
EXPORT_MAX = timedelta(days=93)


def _allowed(request: HttpRequest) -> bool:
    return request.user.has_perm("flow.view_crossing")


def _cameras(request: HttpRequest):
    """Cameras that count (lines or zones), and the one chosen (None: all)."""
    counting = Camera.objects.filter(Q(counting_lines__isnull=False) | Q(counting_zones__isnull=False)).distinct()
    chosen = counting.filter(pk=request.GET.get("camera")).first() if request.GET.get("camera", "").isdigit() else None
    return counting, chosen


@login_required
@require_GET
def flow_dashboard(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return render(request, "livemap/no_role.html", status=403)
    counting, chosen = _cameras(request)
    scope = Camera.objects.filter(pk=chosen.pk) if chosen else counting
    span = request.GET.get("range") if request.GET.get("range") in RANGES else "hour"
    end = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    start, step = end - RANGES[span], timedelta(minutes=1)
    flows = selectors.crossing_series(scope, start, end, step)
    people = selectors.people_series(scope, start, end, step)
    times = [t for t, _, _ in flows]
    occupancy_charts = []
    for occupancy in selectors.occupancies_of(scope):
        values = [value for _, value, _ in selectors.occupancy_series(occupancy, start, end, step)]
        name = occupancy.scope_name
        occupancy_charts.append((name, charts.line(times, values, f"Occupancy of {name}")))
    bars = [("entries", "#1a7f37", [e for _, e, _ in flows]), ("exits", "#cf222e", [x for _, _, x in flows])]
    context = {
        "cameras": counting,
        "chosen": chosen,
        "span": span,
        "ranges": list(RANGES),
        "counters": [camera_counters(camera) for camera in scope],
        "totals": {"entry": sum(e for _, e, _ in flows), "exit": sum(x for _, _, x in flows)},
        "flow_chart": charts.bars(times, bars, "Entries and exits per minute"),
        "people_chart": charts.line(times, [p for _, p in people], "People in view per minute"),
        "occupancy_charts": occupancy_charts,
        "export_start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "export_end": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "flow/dashboard.html", context)


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)):
        moment = datetime(day.year, day.month, day.day)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def flow_export(request: HttpRequest) -> HttpResponse:
    """Per-minute crossings (``kind=crossings``) or occupancy (``kind=occupancy``) of a range, as CSV."""
    if not _allowed(request):
        return HttpResponse("You may not view people-flow counts.", status=403, content_type="text/plain")
    counting, chosen = _cameras(request)
    scope = Camera.objects.filter(pk=chosen.pk) if chosen else counting
    try:
        start, end = _moment(request.GET.get("start")), _moment(request.GET.get("end"))
    except ValueError:
        start = end = None
    if start is None or end is None or end <= start:
        return HttpResponse("Give start and end (ISO 8601, e.g. 2026-11-22T08:00), end after start.", status=400,
                            content_type="text/plain")  # fmt: skip
    if end - start > EXPORT_MAX:
        return HttpResponse(f"At most {EXPORT_MAX.days} days per export.", status=400, content_type="text/plain")
    kind = request.GET.get("kind", "crossings")
    if kind not in ("crossings", "occupancy"):
        return HttpResponse("kind is crossings or occupancy.", status=400, content_type="text/plain")
    rows = (selectors.crossings_csv_rows if kind == "crossings" else selectors.occupancy_csv_rows)(scope, start, end)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv")
    name = chosen.slug if chosen else "all-cameras"
    response["Content-Disposition"] = f'attachment; filename="vigil-{kind}-{name}-{start:%Y%m%d%H%M}.csv"'
    return response
