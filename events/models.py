from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Severity(models.TextChoices):
    INFO = "info", "Info"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


def validate_zone(value: object) -> None:
    """A zone is a polygon of at least three [x, y] points in normalised image coordinates (0..1)."""
    if value in (None, []):
        return
    if not isinstance(value, list) or len(value) < 3:
        raise ValidationError("A zone needs at least three [x, y] points.")
    for point in value:
        if not (
            isinstance(point, list | tuple)
            and len(point) == 2
            and all(isinstance(c, int | float) and 0 <= c <= 1 for c in point)
        ):
            raise ValidationError(f"{point!r} is not an [x, y] point with both values between 0 and 1.")


def validate_labels(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        raise ValidationError('Give a list of labels, e.g. ["person"].')


class ThreatRule(models.Model):
    """What counts as a threat: which labels, how many, where in the picture, when, and how bad."""

    class Scope(models.TextChoices):
        ALL = "all", "All cameras"
        CAMERAS = "cameras", "Chosen cameras"
        DISTRICT = "district", "Cameras of a district"

    name = models.CharField(max_length=120, unique=True)
    enabled = models.BooleanField(default=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    cameras = models.ManyToManyField("cameras.Camera", blank=True, related_name="rules")
    district = models.CharField(max_length=80, blank=True)
    labels = models.JSONField(default=list, validators=[validate_labels], help_text='e.g. ["person"].')
    min_confidence = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    min_count = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Fires when at least this many match (crowds)."
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
        default=1, validators=[MinValueValidator(1)], help_text="Processed frames in a row that must match."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    danger_radius_m = models.PositiveIntegerField(default=50, help_text="Perimeter drawn on the map.")
    recommended_actions = models.TextField(blank=True, help_text="Instructions shown to operators.")
    cooldown_seconds = models.PositiveIntegerField(
        default=300, help_text="An open event seen again within this time is updated instead of a new one."
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="If an event of this rule is still new after this many minutes, notify the escalation "
        "channels. Empty: never escalate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What a person sets on a rule (the admin form and the API write the same).
    EDITABLE_FIELDS = (
        "name", "enabled", "severity", "recommended_actions", "scope", "cameras", "district", "zone", "labels",
        "min_confidence", "min_count", "hold_frames", "active_from", "active_until", "cooldown_seconds",
        "danger_radius_m", "escalate_after_minutes",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.scope == self.Scope.DISTRICT and not self.district:
            raise ValidationError({"district": "Name the district this rule applies to."})
        if (self.active_from is None) != (self.active_until is None):
            raise ValidationError("Give both ends of the active hours, or neither.")


class RuleStreak(models.Model):
    """How many processed frames in a row of a camera matched a rule (for ``hold_frames``)."""

    rule = models.ForeignKey(ThreatRule, on_delete=models.CASCADE, related_name="+")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+")
    streak = models.PositiveIntegerField(default=0)
    last_frame_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "camera"], name="one_streak_per_rule_camera")]

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
    label = models.CharField(max_length=50, help_text="What was seen, e.g. person, person_down, camera_offline.")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    danger_radius_m = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    hit_count = models.PositiveIntegerField(default=1)
    peak_count = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)
    snapshot = models.FileField(upload_to="events/", blank=True, help_text="The newest frame that matched.")
    annotated_snapshot = models.FileField(upload_to="events/", blank=True, help_text="The same with boxes drawn.")
    detections = models.JSONField(default=list, blank=True, help_text="Detections on the newest snapshot.")
    recommended_actions = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
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

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class EventAction(models.Model):
    """One step in an event's handling (who, when, from which status to which, why); never edited."""

    class Action(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        DISPATCH = "dispatch", "Dispatch"
        RESOLVE = "resolve", "Resolve"
        FALSE_ALARM = "false_alarm", "Mark false alarm"
        REOPEN = "reopen", "Reopen"
        NOTE = "note", "Add note"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=15, choices=Action.choices)
    from_status = models.CharField(max_length=15, choices=Event.Status.choices)
    to_status = models.CharField(max_length=15, choices=Event.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    dispatched_to = models.CharField(max_length=120, blank=True, help_text="Unit or person sent.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_status} → {self.to_status}"
