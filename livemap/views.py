from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.stored_text import in_installation_language
from events.models import Event, Severity
from events.services import DEMO_CAMERAS_RULE
from livemap.selectors import demo_cameras, map_config


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """The live map of cameras and events; the site's home page after login."""
    if not request.user.has_perm("events.view_event"):
        return render(request, "livemap/no_role.html", status=403)
    context = {
        "config": map_config(request.user),
        "severities": Severity.choices,
        "statuses": Event.Status.choices,
        "demo_cameras": demo_cameras(),
        # A rule's name is data, the same in every language: the demo's as it was seeded.
        "demo_rule_name": in_installation_language(DEMO_CAMERAS_RULE)["name"],
        "can_view_flow": request.user.has_perm("flow.view_crossing"),
    }
    return render(request, "livemap/map.html", context)
