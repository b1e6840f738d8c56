"""The events' API under ``/api/`` (included by vigilsite/api_urls.py): events and threat rules."""

from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from events.api.viewsets import EventViewSet, ThreatRuleViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("rules", ThreatRuleViewSet, basename="rule")

urlpatterns = format_suffix_patterns(router.urls)
