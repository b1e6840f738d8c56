from django.conf import settings
from django.db import models


class Event(models.Model):
    """Something operators must see and handle: a detected threat or a system problem."""

    class Kind(models.TextChoices):
        DETECTION = "detection", "Detection"
        SYSTEM = "system", "System"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISPATCHED = "dispatched", "Dispatched"
        RESOLVED = "resolved", "Resolved"
        FALSE_ALARM = "false_alarm", "False alarm"

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.DISPATCHED)

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DETECTION)
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="events")
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
    recommended_actions = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen"]
        indexes = [
            models.Index(fields=["status", "-first_seen"]),
            models.Index(fields=["camera", "label", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
