from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.bounds import (
    COUNTER_MAX,
    range_check,
    validate_json_size,
    validate_names,
    validate_plain_text,
    validate_polygon,
    validate_text_size,
    within,
)

# Realistic limits of what a person sets on a rule (and what the event copies).
MIN_COUNT_MAX = 1_000  # detections in one frame: YOLO reports at most 300 by default
HOLD_FRAMES_MAX = 3_600  # an hour of frames at one per second
DANGER_RADIUS_MAX_M = 50_000  # a city
COOLDOWN_MAX_SECONDS = 7 * 86_400
SUSTAIN_MAX_SECONDS = 3_600  # an hour: longer is a "still there" report, not an alarm
ESCALATE_AFTER_MAX_MINUTES = 7 * 1_440


class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


def validate_zone(value: object) -> None:
    """A zone is a polygon of 3 to 100 [x, y] points in normalised image coordinates (0..1), with an area."""
    if value in (None, []):
        return
    validate_polygon(value)


def validate_labels(value: object) -> None:
    validate_names(value, what="labels", example='["person"]')


class ThreatRule(models.Model):
    """What counts as a threat: which labels, how many, where in the picture, when, and how bad."""

    class Scope(models.TextChoices):
        ALL = "all", "All cameras"
        CAMERAS = "cameras", "Chosen cameras"
        DISTRICT = "district", "Cameras of a district"

    class BoxShape(models.TextChoices):
        ANY = "any", "Any shape"
        LYING = "lying", "Lying (box wider than tall)"
        STANDING = "standing", "Upright (box taller than wide)"

    name = models.CharField(max_length=120, unique=True, validators=[validate_plain_text])
    enabled = models.BooleanField(default=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    cameras = models.ManyToManyField("cameras.Camera", blank=True, related_name="rules")
    district = models.CharField(max_length=80, blank=True, validators=[validate_plain_text])
    labels = models.JSONField(default=list, validators=[validate_labels], help_text='e.g. ["person"].')
    min_confidence = models.FloatField(default=0.5, validators=within(0.0, 1.0))
    min_count = models.PositiveIntegerField(
        default=1,
        validators=within(1, MIN_COUNT_MAX),
        help_text="Fires when at least this many match (crowds); 1 to 1,000.",
    )
    zone = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_zone],
        help_text="Optional polygon [[x, y], ...] in normalised image coordinates; a detection is inside "
        "by the bottom-centre of its box (where the feet are).",
    )
    active_from = models.TimeField(null=True, blank=True, help_text="Local time; empty with 'until' = always.")
    active_until = models.TimeField(null=True, blank=True, help_text="May be earlier than 'from' (22:00-06:00).")
    hold_frames = models.PositiveIntegerField(
        default=1,
        validators=within(1, HOLD_FRAMES_MAX),
        help_text="Processed frames in a row that must match; 1 to 3,600.",
    )
    sustain_seconds = models.PositiveIntegerField(
        default=0,
        validators=within(0, SUSTAIN_MAX_SECONDS),
        help_text="The same object (same track, or a box that stays in place) must match for this long, seen "
        "at least every few seconds; interval cameras take a quick burst of pictures to check. 0: one frame "
        "is enough. Up to an hour.",
    )
    box_shape = models.CharField(
        max_length=10,
        choices=BoxShape.choices,
        default=BoxShape.ANY,
        help_text="Count only boxes of this shape, in pixels (a person lying down has a wide box).",
    )
    ignore_edge = models.BooleanField(
        default=False,
        help_text="Do not count boxes that touch the picture's edge (an object cut by the frame is guessed at).",
    )
    min_box_percent = models.FloatField(
        default=0.0,
        validators=within(0.0, 100.0),
        help_text="Count only boxes covering at least this percentage of the picture (0 to 100).",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    danger_radius_m = models.PositiveIntegerField(
        default=50, validators=within(0, DANGER_RADIUS_MAX_M), help_text="Perimeter drawn on the map; up to 50 km."
    )
    recommended_actions = models.TextField(
        blank=True, validators=[validate_text_size], help_text="Instructions shown to operators."
    )
    cooldown_seconds = models.PositiveIntegerField(
        default=300,
        validators=within(0, COOLDOWN_MAX_SECONDS),
        help_text="An open event seen again within this time is updated instead of a new one; up to a week.",
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=within(1, ESCALATE_AFTER_MAX_MINUTES),
        help_text="If an event of this rule is still new after this many minutes (up to a week), notify the "
        "escalation channels. Empty: never escalate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What a person sets on a rule (the admin form and the API write the same).
    EDITABLE_FIELDS = (
        "name", "enabled", "severity", "recommended_actions", "scope", "cameras", "district", "zone", "labels",
        "min_confidence", "min_count", "box_shape", "ignore_edge", "min_box_percent", "hold_frames",
        "sustain_seconds", "active_from", "active_until", "cooldown_seconds", "danger_radius_m",
        "escalate_after_minutes",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        constraints = [
            range_check("threatrule", "min_confidence", 0.0, 1.0),
            range_check("threatrule", "min_count", 1, MIN_COUNT_MAX),
            range_check("threatrule", "hold_frames", 1, HOLD_FRAMES_MAX),
            range_check("threatrule", "sustain_seconds", 0, SUSTAIN_MAX_SECONDS),
            range_check("threatrule", "min_box_percent", 0.0, 100.0),
            range_check("threatrule", "danger_radius_m", 0, DANGER_RADIUS_MAX_M),
            range_check("threatrule", "cooldown_seconds", 0, COOLDOWN_MAX_SECONDS),
            range_check("threatrule", "escalate_after_minutes", 1, ESCALATE_AFTER_MAX_MINUTES),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.scope == self.Scope.DISTRICT and not self.district:
            raise ValidationError({"district": "Name the district this rule applies to."})
        if (self.active_from is None) != (self.active_until is None):
            raise ValidationError("Give both ends of the active hours, or neither.")


class RuleStreak(models.Model):
    """A rule's memory of one camera: frames in a row that matched (``hold_frames``) and the objects
    it follows (``sustain_seconds``), in the database so every detect worker shares them."""

    rule = models.ForeignKey(ThreatRule, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+")
    streak = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX))
    last_frame_at = models.DateTimeField()
    sightings = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_json_size],
        help_text="The objects followed: box, track id, first and last seen (events.rules.Sighting).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "camera"], name="one_streak_per_rule_camera"),
            range_check("rulestreak", "streak", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.camera_id}: {self.streak}"


class Event(models.Model):
    """Something operators must see and handle: a detected threat or a system problem."""

    class Kind(models.TextChoices):
        DETECTION = "detection", "Detection"
        SYSTEM = "system", "System"

    Severity = Severity

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISPATCHED = "dispatched", "Dispatched"
        RESOLVED = "resolved", "Resolved"
        FALSE_ALARM = "false_alarm", "False alarm"

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.DISPATCHED)

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DETECTION)
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="events")
    rule = models.ForeignKey(ThreatRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    label = models.CharField(
        max_length=50,
        validators=[validate_plain_text],
        help_text="What was seen, e.g. person, person_down, camera_offline.",
    )
    title = models.CharField(max_length=200, validators=[validate_plain_text])
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, validators=within(Decimal("-90"), Decimal("90")))
    longitude = models.DecimalField(max_digits=9, decimal_places=6, validators=within(Decimal("-180"), Decimal("180")))
    danger_radius_m = models.PositiveIntegerField(default=0, validators=within(0, DANGER_RADIUS_MAX_M))
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    hit_count = models.PositiveIntegerField(default=1, validators=within(0, COUNTER_MAX))
    peak_count = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX))
    detail = models.TextField(blank=True, validators=[validate_text_size])
    snapshot = models.FileField(
        upload_to="events/", blank=True, help_text="The best frame that matched (most matches, surest boxes)."
    )
    annotated_snapshot = models.FileField(upload_to="events/", blank=True, help_text="The same with boxes drawn.")
    snapshot_at = models.DateTimeField(null=True, blank=True, help_text="When the snapshot's frame was captured.")
    detections = models.JSONField(
        default=list, blank=True, validators=[validate_json_size], help_text="Detections on the snapshot."
    )
    recommended_actions = models.TextField(blank=True, validators=[validate_text_size])
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True, validators=[validate_text_size])
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When it was escalated (once at most).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen"]
        indexes = [
            models.Index(fields=["status", "-first_seen"]),
            models.Index(fields=["camera", "label", "status"]),
            models.Index(fields=["camera", "rule", "status"]),
            # The live map catches up after a reconnect with "changed since".
            models.Index(fields=["updated_at"]),
            # The admin's list, newest first, over all statuses (its ordering ends with -pk).
            models.Index(fields=["-first_seen", "-id"], name="event_newest_first"),
        ]
        constraints = [
            range_check("event", "latitude", Decimal("-90"), Decimal("90")),
            range_check("event", "longitude", Decimal("-180"), Decimal("180")),
            range_check("event", "danger_radius_m", 0, DANGER_RADIUS_MAX_M),
            range_check("event", "hit_count", 0, COUNTER_MAX),
            range_check("event", "peak_count", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def actions_allowed(self) -> list[str]:
        """The workflow actions an operator may take on this event now, in workflow order."""
        return [action for action, transition in TRANSITIONS.items() if self.status in transition.sources]


class EventAction(models.Model):
    """One step in an event's handling (who, when, from which status to which, why); never edited."""

    class Action(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        DISPATCH = "dispatch", "Dispatch"
        RESOLVE = "resolve", "Resolve"
        FALSE_ALARM = "false_alarm", "Mark false alarm"
        REOPEN = "reopen", "Reopen"
        NOTE = "note", "Add note"
        SNOOZE = "snooze", "Snooze the rule on this camera"
        TUNE = "tune", "Tune the rule"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=15, choices=Action.choices)
    from_status = models.CharField(max_length=15, choices=Event.Status.choices)
    to_status = models.CharField(max_length=15, choices=Event.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, validators=[validate_text_size])
    dispatched_to = models.CharField(
        max_length=120, blank=True, validators=[validate_plain_text], help_text="Unit or person sent."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_status} → {self.to_status}"


# The event workflow's steps: which action is allowed from which status, and where it leads. On the model
# so that whatever shows an event (the API, the map's messages, the admin) reads it without the workflow's writes.
@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a note for the record)
    note_required: bool = False


TRANSITIONS: dict[str, Transition] = {
    EventAction.Action.ACKNOWLEDGE: Transition((Event.Status.NEW,), Event.Status.ACKNOWLEDGED),
    EventAction.Action.DISPATCH: Transition((Event.Status.NEW, Event.Status.ACKNOWLEDGED), Event.Status.DISPATCHED),
    EventAction.Action.RESOLVE: Transition(Event.OPEN_STATUSES, Event.Status.RESOLVED, note_required=True),
    EventAction.Action.FALSE_ALARM: Transition(Event.OPEN_STATUSES, Event.Status.FALSE_ALARM, note_required=True),
    EventAction.Action.REOPEN: Transition((Event.Status.RESOLVED, Event.Status.FALSE_ALARM), Event.Status.ACKNOWLEDGED),
    EventAction.Action.NOTE: Transition(tuple(Event.Status.values), None, note_required=True),
}


SNOOZE_MINUTES_MAX = 24 * 60


class RuleSnooze(models.Model):
    """A rule silenced on one camera until a time: an operator's relief from a false alarm that keeps
    coming back, kept with who asked, why and from which event (its history says so too)."""

    rule = models.ForeignKey(ThreatRule, on_delete=models.CASCADE, related_name="snoozes")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, validators=[validate_text_size])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["camera", "until"])]

    def __str__(self) -> str:
        return f"{self.rule} on {self.camera} until {self.until:%Y-%m-%d %H:%M}"
