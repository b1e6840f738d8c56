"""Counting lines drawn on a camera's picture, and every crossing of them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from flow.crossing import IN, OUT, Line


def validate_point(value: object) -> None:
    """An [x, y] point in normalised picture coordinates (0..1, y down)."""
    if not (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1 for c in value)
    ):
        raise ValidationError(f"{value!r} is not an [x, y] point with both values between 0 and 1.")


class CountingLine(models.Model):
    """A line across a camera's picture; people crossing it are counted in each direction."""

    class Side(models.TextChoices):
        LEFT = "left", "Left of start → end"
        RIGHT = "right", "Right of start → end"

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="counting_lines")
    name = models.CharField(max_length=80, help_text='e.g. "Main entrance".')
    start = models.JSONField(validators=[validate_point], help_text="[x, y] as fractions of the picture: [0.3, 0.6].")
    end = models.JSONField(validators=[validate_point], help_text="[x, y] as fractions of the picture.")
    in_side = models.CharField(
        "entering means going to the", max_length=5, choices=Side.choices, default=Side.RIGHT,
        help_text="Looking along the line from its start to its end, on the picture.",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="one_line_name_per_camera")]

    def __str__(self) -> str:
        return f"{self.camera} / {self.name}"

    def clean(self) -> None:
        if self.start is not None and self.start == self.end:
            raise ValidationError({"end": "The line's start and end must differ."})

    def as_line(self) -> Line:
        return Line(self.pk, tuple(self.start), tuple(self.end), self.in_side)


DIRECTIONS = [(IN, "In"), (OUT, "Out")]


class Crossing(models.Model):
    """One tracked object crossing a counting line, in one direction (never edited)."""

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="crossings")
    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="crossings")
    at = models.DateTimeField()
    track_id = models.PositiveIntegerField(help_text="The tracker's id, unique within one analysis run.")
    label = models.CharField(max_length=60)
    direction = models.CharField(max_length=3, choices=DIRECTIONS)

    class Meta:
        ordering = ["-at"]
        constraints = [
            # A re-run of the same recording (same start) adds nothing.
            models.UniqueConstraint(fields=["line", "at", "track_id", "direction"], name="one_crossing_record"),
        ]
        indexes = [models.Index(fields=["camera", "at"])]

    def __str__(self) -> str:
        return f"{self.label} #{self.track_id} {self.direction} {self.line_id} @ {self.at:%H:%M:%S}"


class CrossingMinute(models.Model):
    """Entries and exits of one line, label and minute, added as each crossing is recorded."""

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()
    label = models.CharField(max_length=60)
    entries = models.PositiveIntegerField(default=0)
    exits = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-minute"]
        constraints = [
            models.UniqueConstraint(fields=["line", "minute", "label"], name="one_crossing_bucket_per_minute")
        ]
        indexes = [models.Index(fields=["camera", "minute"])]

    def __str__(self) -> str:
        return f"{self.line_id} @ {self.minute:%Y-%m-%d %H:%M} {self.label}: +{self.entries} -{self.exits}"
