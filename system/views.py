from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from system.selectors import health_report, health_summary
from system.services import health_changes_log


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Component health for load balancers and docker-compose: 200 only when all are up."""
    # Anonymous probes (load balancers, a storm of them) share a report up to a second old;
    # staff get a fresh one. Neither costs more than one Redis round trip and a database query.
    staff = request.user.is_staff
    report = health_report(cached=not staff)
    health_changes_log(report)
    status = 200 if report["status"] == "ok" else 503
    # Load balancers need only the verdict; details are for staff.
    if not staff:
        report = health_summary(report)
    return JsonResponse(report, status=status)
