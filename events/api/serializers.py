import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.bounds import validate_plain_text
from core.stored_text import shown
from events.models import SNOOZE_MINUTES_MAX, Event, EventAction, RuleSnooze, ThreatRule
from events.payloads import admin_url, event_payload, snapshot_url


class EventSerializer(serializers.ModelSerializer):
    """An event as the map, the API and the WebSocket show it (one shape everywhere)."""

    camera_name = serializers.CharField(source="camera.name", read_only=True)
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    snapshot_url = serializers.SerializerMethodField()
    admin_url = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="Workflow actions allowed from the current status.")
    texts = serializers.JSONField(
        read_only=True,
        help_text="The texts Vigil wrote (title, recommended_actions, resolution_note), as message keys and "
        "parameters; those fields are in the request's language (Accept-Language), the database keeps English.",
    )

    class Meta:
        model = Event
        fields = [
            "id", "kind", "camera", "camera_name", "rule", "label", "title", "detail", "severity", "status",
            "latitude", "longitude", "danger_radius_m", "first_seen", "last_seen", "updated_at",
            "hit_count", "peak_count", "recommended_actions", "assignee", "resolution_note", "resolved_at",
            "escalated_at",
            "snapshot_url", "snapshot_at", "admin_url", "actions", "texts",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_snapshot_url(self, event: Event) -> str | None:
        return snapshot_url(event)

    def get_admin_url(self, event: Event) -> str:
        return admin_url(event)

    def get_actions(self, event: Event) -> list[str]:
        return event.actions_allowed()

    def to_representation(self, event: Event) -> dict:
        # The same dict as the declared fields give (a test holds them together), built faster: see payloads.
        return dict(event_payload(event))


class EventActionSerializer(serializers.ModelSerializer):
    """One step of an event's history."""

    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EventAction
        fields = ["id", "action", "from_status", "to_status", "user", "note", "dispatched_to", "created_at"]
        read_only_fields = fields

    def to_representation(self, step: EventAction) -> dict:
        # A note Vigil wrote, in the request's language (the database keeps it in English).
        return {**super().to_representation(step), "note": shown(step, "note")}


class EventActionRequestSerializer(serializers.Serializer):
    """What an operator sends with a workflow action."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    dispatched_to = serializers.CharField(
        required=False, allow_blank=True, max_length=120, default="", validators=[validate_plain_text]
    )


class SnoozeRequestSerializer(serializers.Serializer):
    """Snooze the event's rule on its camera."""

    minutes = serializers.IntegerField(min_value=1, max_value=SNOOZE_MINUTES_MAX)
    note = serializers.CharField(max_length=2000, help_text="Why: it goes into the event's history.")


class RuleSnoozeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleSnooze
        fields = ["id", "rule", "camera", "until", "user", "event", "note", "created_at"]
        read_only_fields = fields


LOCAL_TIME = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


@extend_schema_field({"type": "string", "pattern": LOCAL_TIME, "nullable": True, "example": "22:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the site's time zone (``22:00``); Django would drop an offset silently."""

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(LOCAL_TIME, value):
            raise serializers.ValidationError("Give a local time as HH:MM or HH:MM:SS, without an offset: 22:00.")
        return super().to_internal_value(value)


class ThreatRuleSerializer(serializers.ModelSerializer):
    """A threat rule; administrators write it, with the same checks as the admin form."""

    active_from = LocalTimeField(allow_null=True, required=False, help_text=ThreatRule.active_from.field.help_text)
    active_until = LocalTimeField(allow_null=True, required=False, help_text=ThreatRule.active_until.field.help_text)

    class Meta:
        model = ThreatRule
        fields = ["id", *ThreatRule.EDITABLE_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict) -> dict:
        fields = {name: value for name, value in attrs.items() if name != "cameras"}
        if self.instance is not None:
            fields = {f.name: getattr(self.instance, f.name) for f in ThreatRule._meta.concrete_fields} | fields
        try:
            ThreatRule(**fields).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return attrs
