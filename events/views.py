from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from events.dashboard import operations_overview
from events.models import Event


@permission_required("events.view_event", raise_exception=True)
def event_snapshot(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """An event's evidence (``plain`` or ``annotated``); only for users who may view events."""
    if kind not in ("plain", "annotated"):
        raise Http404("Unknown snapshot.")
    event = get_object_or_404(Event, pk=pk)
    field = event.annotated_snapshot if kind == "annotated" else event.snapshot
    if not field:
        raise Http404("This event has no snapshot.")
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=60"
    return response


def operations_dashboard(request: HttpRequest) -> TemplateResponse:
    """Per camera: health, events of the last 24 hours, open events (admin site, linked from its index)."""
    if not request.user.has_perms(["events.view_event", "cameras.view_camera"]):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": gettext("Dashboard"), "overview": operations_overview()}
    return TemplateResponse(request, "admin/dashboard.html", context)
