from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, filters, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.geojson import GeoJSONMixin
from core.query_params import BadParameter, QueryFilterBackend, parse_integer, parse_moment
from events.api.filters import EventFilterSet
from events.api.serializers import (
    EventActionRequestSerializer,
    EventActionSerializer,
    EventSerializer,
    RuleSnoozeSerializer,
    SnoozeRequestSerializer,
    ThreatRuleSerializer,
)
from events.models import Event, EventAction, ThreatRule
from events.workflow import TransitionRefused, event_transition, rule_snooze


class EventPagination(CursorPagination):
    """Stable pages over a table that grows while it is read."""

    model = Event  # whose field the cursor's position is read as (a subclass pages another model)
    ordering = ("-updated_at", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request: Request):
        # The position inside a cursor is typed by whoever sends it: it is read as the ordering
        # field's type before it reaches a query (an overflowing moment would fail there).
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            name = self.ordering[0].lstrip("-")
            field = self.model._meta.get_field(name)
            try:
                if isinstance(field, models.DateTimeField):
                    parse_moment(self.cursor_query_param, cursor.position)
                else:
                    parse_integer(self.cursor_query_param, cursor.position)
            except BadParameter:
                raise exceptions.NotFound(self.invalid_cursor_message) from None
        return cursor


class CanWorkEvents(permissions.BasePermission):
    message = "Only operators may act on events."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms(["events.view_event", "events.change_event"])


WORKFLOW_VIEWS = {"acknowledge", "dispatch_event", "resolve", "false_alarm", "reopen", "note", "snooze"}


class EventViewSet(GeoJSONMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Events, newest change first, and the operator workflow on them."""

    queryset = Event.objects.select_related("camera", "assignee")
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    pagination_class = EventPagination
    filter_backends = [QueryFilterBackend, filters.OrderingFilter]
    ordering_fields = ["updated_at", "first_seen", "last_seen", "peak_count"]

    def get_permissions(self) -> list:
        # A workflow POST changes an event; the model-permission default would ask for "add".
        if self.action in WORKFLOW_VIEWS:
            return [CanWorkEvents()]
        return super().get_permissions()

    @extend_schema(responses=EventActionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        event = get_object_or_404(self.get_queryset(), pk=pk)
        actions = event.actions.select_related("user")
        return Response(EventActionSerializer(actions, many=True).data)

    def _transition(self, request: Request, pk: str, name: str) -> Response:
        event = get_object_or_404(self.get_queryset(), pk=pk)
        body = EventActionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            event = event_transition(event=event, action=name, user=request.user, **body.validated_data)
        except TransitionRefused as refused:
            raise exceptions.ValidationError({"detail": refused.message}) from refused
        return Response(self.get_serializer(event).data)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, EventAction.Action.ACKNOWLEDGE)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_event(self, request: Request, pk: str) -> Response:  # ``dispatch`` is taken by APIView
        return self._transition(request, pk, EventAction.Action.DISPATCH)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, EventAction.Action.RESOLVE)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="false-alarm")
    def false_alarm(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, EventAction.Action.FALSE_ALARM)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._transition(request, pk, EventAction.Action.REOPEN)

    @extend_schema(request=EventActionRequestSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: str) -> Response:
        """Add a note to the event's history; its status stays."""
        return self._transition(request, pk, EventAction.Action.NOTE)

    @extend_schema(request=SnoozeRequestSerializer, responses={201: RuleSnoozeSerializer})
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str) -> Response:
        """Snooze the rule that opened the event on its camera: no new event from it there for ``minutes``
        (at most a day); other rules and cameras go on. Said in the event's history."""
        event = get_object_or_404(self.get_queryset(), pk=pk)
        body = SnoozeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            snooze = rule_snooze(event=event, user=request.user, **body.validated_data)
        except TransitionRefused as refused:
            raise exceptions.ValidationError({"detail": refused.message}) from refused
        return Response(RuleSnoozeSerializer(snooze).data, status=201)


class ThreatRuleViewSet(viewsets.ModelViewSet):
    """Threat rules: readable by every role, written by administrators (model permissions)."""

    queryset = ThreatRule.objects.prefetch_related("cameras")
    serializer_class = ThreatRuleSerializer
    filterset_fields = ["enabled", "severity", "scope", "district"]
