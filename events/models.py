from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
from core.stored_text import shown

# Realistic limits of what a person sets on a rule (and what the event copies).
MIN_COUNT_MAX = 1_000  # detections in one frame: YOLO reports at most 300 by default
HOLD_FRAMES_MAX = 3_600  # an hour of frames at one per second
DANGER_RADIUS_MAX_M = 50_000  # a city
COOLDOWN_MAX_SECONDS = 7 * 86_400
SUSTAIN_MAX_SECONDS = 3_600  # an hour: longer is a "still there" report, not an alarm
ESCALATE_AFTER_MAX_MINUTES = 7 * 1_440


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


def validate_zone(value: object) -> None:
    """A zone is a polygon of 3 to 100 [x, y] points in normalised image coordinates (0..1), with an area."""
    if value in (None, []):
        return
    validate_polygon(value)


def validate_labels(value: object) -> None:
    validate_names(value, what=_("labels"), example='["person"]')


class ThreatRule(models.Model):
    """What counts as a threat: which labels, how many, where in the picture, when, and how bad."""

    class Scope(models.TextChoices):
        ALL = "all", _("All cameras")
        CAMERAS = "cameras", _("Chosen cameras")
        DISTRICT = "district", _("Cameras of a district")

    class BoxShape(models.TextChoices):
        ANY = "any", _("Any shape")
        LYING = "lying", _("Lying (box wider than tall)")
        STANDING = "standing", _("Upright (box taller than wide)")

    name = models.CharField(max_length=120, unique=True, validators=[validate_plain_text], verbose_name=_("name"))
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL, verbose_name=_("scope"))
    cameras = models.ManyToManyField("cameras.Camera", blank=True, related_name="rules", verbose_name=_("cameras"))
    district = models.CharField(max_length=80, blank=True, validators=[validate_plain_text], verbose_name=_("district"))
    labels = models.JSONField(
        default=list, validators=[validate_labels], help_text=_('e.g. ["person"].'), verbose_name=_("labels")
    )
    min_confidence = models.FloatField(default=0.5, validators=within(0.0, 1.0), verbose_name=_("min confidence"))
    min_count = models.PositiveIntegerField(
        default=1,
        validators=within(1, MIN_COUNT_MAX),
        help_text=_("Fires when at least this many match (crowds); 1 to 1,000."),
        verbose_name=_("min count"),
    )
    zone = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_zone],
        help_text=_(
            "Optional polygon [[x, y], ...] in normalised image coordinates; a detection is inside "
            "by the bottom-centre of its box (where the feet are)."
        ),
        verbose_name=_("zone"),
    )
    active_from = models.TimeField(
        null=True, blank=True, help_text=_("Local time; empty with 'until' = always."), verbose_name=_("active from")
    )
    active_until = models.TimeField(
        null=True, blank=True, help_text=_("May be earlier than 'from' (22:00-06:00)."), verbose_name=_("active until")
    )
    hold_frames = models.PositiveIntegerField(
        default=1,
        validators=within(1, HOLD_FRAMES_MAX),
        help_text=_("Processed frames in a row that must match; 1 to 3,600."),
        verbose_name=_("hold frames"),
    )
    sustain_seconds = models.PositiveIntegerField(
        default=0,
        validators=within(0, SUSTAIN_MAX_SECONDS),
        help_text=_(
            "The same object (same track, or a box that stays in place) must match for this long, seen "
            "at least every few seconds; interval cameras take a quick burst of pictures to check. 0: one frame "
            "is enough. Up to an hour."
        ),
        verbose_name=_("sustain seconds"),
    )
    box_shape = models.CharField(
        max_length=10,
        choices=BoxShape.choices,
        default=BoxShape.ANY,
        help_text=_("Count only boxes of this shape, in pixels (a person lying down has a wide box)."),
        verbose_name=_("box shape"),
    )
    ignore_edge = models.BooleanField(
        default=False,
        help_text=_("Do not count boxes that touch the picture's edge (an object cut by the frame is guessed at)."),
        verbose_name=_("ignore edge"),
    )
    min_box_percent = models.FloatField(
        default=0.0,
        validators=within(0.0, 100.0),
        help_text=_("Count only boxes covering at least this percentage of the picture (0 to 100)."),
        verbose_name=_("min box percent"),
    )
    severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.MEDIUM, verbose_name=_("severity")
    )
    danger_radius_m = models.PositiveIntegerField(
        default=50,
        validators=within(0, DANGER_RADIUS_MAX_M),
        help_text=_("Perimeter drawn on the map; up to 50 km."),
        verbose_name=_("danger radius m"),
    )
    recommended_actions = models.TextField(
        blank=True,
        validators=[validate_text_size],
        help_text=_("Instructions shown to operators."),
        verbose_name=_("recommended actions"),
    )
    cooldown_seconds = models.PositiveIntegerField(
        default=300,
        validators=within(0, COOLDOWN_MAX_SECONDS),
        help_text=_("An open event seen again within this time is updated instead of a new one; up to a week."),
        verbose_name=_("cooldown seconds"),
    )
    escalate_after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=within(1, ESCALATE_AFTER_MAX_MINUTES),
        help_text=_(
            "If an event of this rule is still new after this many minutes (up to a week), notify the "
            "escalation channels. Empty: never escalate."
        ),
        verbose_name=_("escalate after minutes"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    # What a person sets on a rule (the admin form and the API write the same).
    EDITABLE_FIELDS = (
        "name", "enabled", "severity", "recommended_actions", "scope", "cameras", "district", "zone", "labels",
        "min_confidence", "min_count", "box_shape", "ignore_edge", "min_box_percent", "hold_frames",
        "sustain_seconds", "active_from", "active_until", "cooldown_seconds", "danger_radius_m",
        "escalate_after_minutes",
    )  # fmt: skip

    class Meta:
        verbose_name = _("threat rule")
        verbose_name_plural = _("threat rules")
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
            raise ValidationError({"district": _("Name the district this rule applies to.")})
        if (self.active_from is None) != (self.active_until is None):
            raise ValidationError(_("Give both ends of the active hours, or neither."))


class RuleStreak(models.Model):
    """A rule's memory of one camera: frames in a row that matched (``hold_frames``) and the objects
    it follows (``sustain_seconds``), in the database so every detect worker shares them."""

    rule = models.ForeignKey(ThreatRule, on_delete=models.CASCADE, related_name="+", verbose_name=_("rule"))
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+", verbose_name=_("camera"))
    streak = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("streak"))
    last_frame_at = models.DateTimeField(verbose_name=_("last frame at"))
    sightings = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_json_size],
        help_text=_("The objects followed: box, track id, first and last seen (events.rules.Sighting)."),
        verbose_name=_("sightings"),
    )

    class Meta:
        verbose_name = _("rule streak")
        verbose_name_plural = _("rule streaks")
        constraints = [
            models.UniqueConstraint(fields=["rule", "camera"], name="one_streak_per_rule_camera"),
            range_check("rulestreak", "streak", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.camera_id}: {self.streak}"


class Event(models.Model):
    """Something operators must see and handle: a detected threat or a system problem."""

    class Kind(models.TextChoices):
        DETECTION = "detection", _("Detection")
        SYSTEM = "system", _("System")

    Severity = Severity

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPATCHED = "dispatched", _("Dispatched")
        RESOLVED = "resolved", _("Resolved")
        FALSE_ALARM = "false_alarm", _("False alarm")

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.DISPATCHED)

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DETECTION, verbose_name=_("kind"))
    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="events", verbose_name=_("camera")
    )
    rule = models.ForeignKey(
        ThreatRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="events", verbose_name=_("rule")
    )
    label = models.CharField(
        max_length=50,
        validators=[validate_plain_text],
        help_text=_("What was seen, e.g. person, person_down, camera_offline."),
        verbose_name=_("label"),
    )
    title = models.CharField(max_length=200, validators=[validate_plain_text], verbose_name=_("title"))
    severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.MEDIUM, verbose_name=_("severity")
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW, verbose_name=_("status"))
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=within(Decimal("-90"), Decimal("90")), verbose_name=_("latitude")
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=within(Decimal("-180"), Decimal("180")), verbose_name=_("longitude")
    )
    danger_radius_m = models.PositiveIntegerField(
        default=0, validators=within(0, DANGER_RADIUS_MAX_M), verbose_name=_("danger radius m")
    )
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    last_seen = models.DateTimeField(verbose_name=_("last seen"))
    hit_count = models.PositiveIntegerField(default=1, validators=within(0, COUNTER_MAX), verbose_name=_("hit count"))
    peak_count = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("peak count"))
    detail = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("detail"))
    snapshot = models.FileField(
        upload_to="events/",
        blank=True,
        help_text=_("The best frame that matched (most matches, surest boxes)."),
        verbose_name=_("snapshot"),
    )
    annotated_snapshot = models.FileField(
        upload_to="events/", blank=True, help_text=_("The same with boxes drawn."), verbose_name=_("annotated snapshot")
    )
    snapshot_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the snapshot's frame was captured."), verbose_name=_("snapshot taken")
    )
    detections = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_json_size],
        help_text=_("Detections on the snapshot."),
        verbose_name=_("detections"),
    )
    recommended_actions = models.TextField(
        blank=True, validators=[validate_text_size], verbose_name=_("recommended actions")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assignee"),
    )
    resolution_note = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("resolution note"))
    texts = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        validators=[validate_json_size],
        help_text=_("Texts Vigil wrote here, as message keys and parameters: each reader gets them in their language."),
        verbose_name=_("Vigil's texts"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was escalated (once at most)."), verbose_name=_("escalated at")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-first_seen"]
        indexes = [
            models.Index(fields=["status", "-first_seen"]),
            models.Index(fields=["camera", "label", "status"]),
            models.Index(fields=["camera", "rule", "status"]),
            # The live map catches up after a reconnect with "changed since".
            models.Index(fields=["updated_at"]),
            # The admin's list, newest first, over all statuses (its ordering ends with -pk).
            models.Index(fields=["-first_seen", "-id"], name="event_newest_first"),
            # The API's ``bbox``: a range on latitude, then longitude.
            models.Index(fields=["latitude", "longitude"], name="event_position"),
        ]
        constraints = [
            range_check("event", "latitude", Decimal("-90"), Decimal("90")),
            range_check("event", "longitude", Decimal("-180"), Decimal("180")),
            range_check("event", "danger_radius_m", 0, DANGER_RADIUS_MAX_M),
            range_check("event", "hit_count", 0, COUNTER_MAX),
            range_check("event", "peak_count", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{shown(self, 'title')} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def actions_allowed(self) -> list[str]:
        """The workflow actions an operator may take on this event now, in workflow order."""
        return [action for action, transition in TRANSITIONS.items() if self.status in transition.sources]


class EventAction(models.Model):
    """One step in an event's handling (who, when, from which status to which, why); never edited."""

    class Action(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", _("Acknowledge")
        DISPATCH = "dispatch", _("Dispatch")
        RESOLVE = "resolve", _("Resolve")
        FALSE_ALARM = "false_alarm", _("Mark false alarm")
        REOPEN = "reopen", _("Reopen")
        NOTE = "note", _("Add note")
        SNOOZE = "snooze", _("Snooze the rule on this camera")
        TUNE = "tune", _("Tune the rule")
        EXPORT = "export", _("Export evidence")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="actions", verbose_name=_("event"))
    action = models.CharField(max_length=15, choices=Action.choices, verbose_name=_("action"))
    from_status = models.CharField(max_length=15, choices=Event.Status.choices, verbose_name=_("from status"))
    to_status = models.CharField(max_length=15, choices=Event.Status.choices, verbose_name=_("to status"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    note = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("note"))
    dispatched_to = models.CharField(
        max_length=120,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("Unit or person sent."),
        verbose_name=_("dispatched to"),
    )
    texts = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        validators=[validate_json_size],
        help_text=_("Texts Vigil wrote here, as message keys and parameters: each reader gets them in their language."),
        verbose_name=_("Vigil's texts"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("event action")
        verbose_name_plural = _("event actions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.get_from_status_display()} → {self.get_to_status_display()}"


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

    rule = models.ForeignKey(ThreatRule, on_delete=models.CASCADE, related_name="snoozes", verbose_name=_("rule"))
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+", verbose_name=_("camera"))
    until = models.DateTimeField(db_index=True, verbose_name=_("until"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("event")
    )
    note = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("note"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("rule snooze")
        verbose_name_plural = _("rule snoozes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["camera", "until"])]

    def __str__(self) -> str:
        return f"{self.rule} on {self.camera} until {self.until:%Y-%m-%d %H:%M}"
