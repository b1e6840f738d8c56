"""The flow dashboard (counts, entries and exits, occupancy; per camera or all) and its CSV export."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET

from cameras.models import Camera
from core.csv_cells import csv_lines
from core.query_params import BadParameter, optional, parse_integer, parse_moment
from flow import charts, selectors
from flow.live import camera_counters

RANGES = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
RANGE_NAMES = {"hour": gettext_lazy("last hour"), "day": gettext_lazy("last day")}
EXPORT_MAX = timedelta(days=93)


def _allowed(request: HttpRequest) -> bool:
    return request.user.has_perm("flow.view_crossing")


def _cameras(request: HttpRequest):
    """Cameras that count (lines or zones), and the one chosen (None: all, or an unknown id).

    Raises BadParameter when ``camera`` is not a number.
    """
    counting = Camera.objects.filter(Q(counting_lines__isnull=False) | Q(counting_zones__isnull=False)).distinct()
    pk = optional(parse_integer, "camera", request.GET.get("camera"), minimum=1)
    chosen = counting.filter(pk=pk).first() if pk is not None else None
    return counting, chosen


def _bad_request(bad: BadParameter) -> HttpResponse:
    return HttpResponseBadRequest(str(bad), content_type="text/plain")


@login_required
@require_GET
def flow_dashboard(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return render(request, "livemap/no_role.html", status=403)
    try:
        counting, chosen = _cameras(request)
    except BadParameter as bad:
        return _bad_request(bad)
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
        title = gettext("Occupancy of %(name)s") % {"name": name}
        occupancy_charts.append((name, charts.line(times, values, title)))
    bars = [
        (gettext("entries"), "#1a7f37", [e for _, e, _ in flows]),
        (gettext("exits"), "#cf222e", [x for _, _, x in flows]),
    ]
    context = {
        "cameras": counting,
        "chosen": chosen,
        "span": span,
        "ranges": list(RANGE_NAMES.items()),
        "counters": [camera_counters(camera) for camera in scope],
        "totals": {"entry": sum(e for _, e, _ in flows), "exit": sum(x for _, _, x in flows)},
        "flow_chart": charts.bars(times, bars, gettext("Entries and exits per minute")),
        "people_chart": charts.line(times, [p for _, p in people], gettext("People in view per minute")),
        "occupancy_charts": occupancy_charts,
        "export_start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "export_end": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "flow/dashboard.html", context)


@login_required
@require_GET
def flow_export(request: HttpRequest) -> HttpResponse:
    """Per-minute crossings (``kind=crossings``) or occupancy (``kind=occupancy``) of a range, as CSV."""
    if not _allowed(request):
        return HttpResponse(gettext("You may not view people-flow counts."), status=403, content_type="text/plain")
    try:
        counting, chosen = _cameras(request)
        start = optional(parse_moment, "start", request.GET.get("start"))
        end = optional(parse_moment, "end", request.GET.get("end"))
    except BadParameter as bad:
        return _bad_request(bad)
    scope = Camera.objects.filter(pk=chosen.pk) if chosen else counting
    if start is None or end is None or end <= start:
        wanted = gettext("Give start and end (ISO 8601, e.g. 2026-11-22T08:00), end after start.")
        return HttpResponse(wanted, status=400, content_type="text/plain")
    if end - start > EXPORT_MAX:
        too_long = gettext("At most %(days)d days per export.") % {"days": EXPORT_MAX.days}
        return HttpResponse(too_long, status=400, content_type="text/plain")
    kind = request.GET.get("kind", "crossings")
    if kind not in ("crossings", "occupancy"):
        return HttpResponse(gettext("kind is crossings or occupancy."), status=400, content_type="text/plain")
    rows = (selectors.crossings_csv_rows if kind == "crossings" else selectors.occupancy_csv_rows)(scope, start, end)
    # Camera, line and zone names are typed by people: csv_lines writes formula-like text as text.
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv")
    name = chosen.slug if chosen else "all-cameras"
    response["Content-Disposition"] = f'attachment; filename="vigil-{kind}-{name}-{start:%Y%m%d%H%M}.csv"'
    return response
