"""Counting lines drawn on a camera's picture, and every crossing of them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import bounds
from core.bounds import COUNTER_MAX, range_check, validate_plain_text, within
from events.models import validate_zone
from flow.crossing import IN, OUT, Line

CAPACITY_MAX = 1_000_000  # the largest stadium holds a tenth of that
BAND_MAX_PX = 200


def validate_point(value: object) -> None:
    """An [x, y] point in normalised picture coordinates (0..1, y down)."""
    bounds.validate_point(value)


class CountingLine(models.Model):
    """A line across a camera's picture; people crossing it are counted in each direction."""

    class Side(models.TextChoices):
        LEFT = "left", _("Left of start → end")
        RIGHT = "right", _("Right of start → end")

    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="counting_lines", verbose_name=_("camera")
    )
    name = models.CharField(
        max_length=80, validators=[validate_plain_text], help_text=_('e.g. "Main entrance".'), verbose_name=_("name")
    )
    start = models.JSONField(
        validators=[validate_point],
        help_text=_("[x, y] as fractions of the picture: [0.3, 0.6]."),
        verbose_name=_("start"),
    )
    end = models.JSONField(
        validators=[validate_point], help_text=_("[x, y] as fractions of the picture."), verbose_name=_("end")
    )
    in_side = models.CharField(
        _("entering means going to the"), max_length=5, choices=Side.choices, default=Side.RIGHT,
        help_text=_("Looking along the line from its start to its end, on the picture."),
    )  # fmt: skip
    band_px = models.FloatField(
        _("hysteresis (pixels)"), default=4.0, validators=within(0.0, BAND_MAX_PX),
        help_text=_("Feet closer to the line than this, in pixels of the analysed picture, are on neither side: "
        "people waiting on the line are not counted back and forth. 0 to 200."),
    )  # fmt: skip
    door = models.JSONField(
        _("door or hidden area"), default=list, blank=True, validators=[validate_zone],
        help_text=_("Optional polygon [[x, y], ...] next to the line where people first appear after coming "
        "through it unseen (a door, a turnstile, behind a pillar): someone first seen there, walking away, "
        "has crossed. Without it, people first seen within half their height past the line count."),
    )  # fmt: skip
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("counting line")
        verbose_name_plural = _("counting lines")
        ordering = ["camera", "name"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "name"], name="one_line_name_per_camera"),
            range_check("countingline", "band_px", 0.0, BAND_MAX_PX),
        ]

    def __str__(self) -> str:
        return f"{self.camera} / {self.name}"

    def clean(self) -> None:
        if self.start is not None and self.start == self.end:
            raise ValidationError({"end": _("The line's start and end must differ.")})

    def as_line(self) -> Line:
        door = tuple(tuple(point) for point in self.door or ())
        return Line(self.pk, tuple(self.start), tuple(self.end), self.in_side, band_px=self.band_px, door=door)


DIRECTIONS = [(IN, "In"), (OUT, "Out")]


class Crossing(models.Model):
    """One tracked object crossing a counting line, in one direction (never edited)."""

    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="crossings", verbose_name=_("camera")
    )
    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="crossings", verbose_name=_("line"))
    at = models.DateTimeField(verbose_name=_("at"))
    track_id = models.PositiveIntegerField(
        validators=within(0, COUNTER_MAX),
        help_text=_("The tracker's id, unique within one analysis run."),
        verbose_name=_("track id"),
    )
    label = models.CharField(max_length=60, validators=[validate_plain_text], verbose_name=_("label"))
    direction = models.CharField(max_length=3, choices=DIRECTIONS, verbose_name=_("direction"))

    class Meta:
        verbose_name = _("crossing")
        verbose_name_plural = _("crossings")
        ordering = ["-at"]
        constraints = [
            # A re-run of the same recording (same start) adds nothing.
            models.UniqueConstraint(fields=["line", "at", "track_id", "direction"], name="one_crossing_record"),
            range_check("crossing", "track_id", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["camera", "at"])]

    def __str__(self) -> str:
        return f"{self.label} #{self.track_id} {self.direction} {self.line_id} @ {self.at:%H:%M:%S}"


class CrossingMinute(models.Model):
    """Entries and exits of one line, label and minute, added as each crossing is recorded."""

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="+", verbose_name=_("camera"))
    line = models.ForeignKey(CountingLine, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("line"))
    minute = models.DateTimeField(verbose_name=_("minute"))
    label = models.CharField(max_length=60, validators=[validate_plain_text], verbose_name=_("label"))
    entries = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("entries"))
    exits = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("exits"))

    class Meta:
        verbose_name = _("crossing minute")
        verbose_name_plural = _("crossing minutes")
        ordering = ["-minute"]
        constraints = [
            models.UniqueConstraint(fields=["line", "minute", "label"], name="one_crossing_bucket_per_minute"),
            range_check("crossingminute", "entries", 0, COUNTER_MAX),
            range_check("crossingminute", "exits", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["camera", "minute"])]

    def __str__(self) -> str:
        return f"{self.line_id} @ {self.minute:%Y-%m-%d %H:%M} {self.label}: +{self.entries} -{self.exits}"


class Area(models.Model):
    """A place whose ways in and out are counting lines, on one camera or several (a hall with three doors)."""

    name = models.CharField(max_length=80, unique=True, validators=[validate_plain_text], verbose_name=_("name"))
    lines = models.ManyToManyField(
        CountingLine,
        related_name="areas",
        help_text=_("Its doors: crossing a line to its in side enters the area."),
        verbose_name=_("lines"),
    )
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=within(0, CAPACITY_MAX),
        help_text=_("Shown beside the occupancy; optional."),
        verbose_name=_("capacity"),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        constraints = [range_check("area", "capacity", 0, CAPACITY_MAX)]

    def __str__(self) -> str:
        return self.name


class CountingZone(models.Model):
    """A polygon on a camera's picture: how many people stand inside it now."""

    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="counting_zones", verbose_name=_("camera")
    )
    name = models.CharField(max_length=80, validators=[validate_plain_text], verbose_name=_("name"))
    polygon = models.JSONField(
        validators=[validate_zone], help_text=_("[[x, y], ...] as fractions of the picture."), verbose_name=_("polygon")
    )
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))

    class Meta:
        verbose_name = _("counting zone")
        verbose_name_plural = _("counting zones")
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="one_zone_name_per_camera")]

    def __str__(self) -> str:
        return f"{self.camera} / {self.name}"


class Occupancy(models.Model):
    """How many of a label are in a camera's view, an area or a zone now, and the entries and exits since
    the last reset (daily at ``VIGIL_FLOW_RESET_TIME``). Exactly one of camera, area and zone is set."""

    camera = models.ForeignKey(
        "cameras.Camera", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("camera")
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="occupancies", verbose_name=_("area")
    )
    zone = models.ForeignKey(
        CountingZone,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="occupancies",
        verbose_name=_("zone"),
    )
    label = models.CharField(max_length=60, validators=[validate_plain_text], verbose_name=_("label"))
    period_start = models.DateTimeField(
        help_text=_("The reset these figures count from."), verbose_name=_("period start")
    )
    current = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("current"))
    entries = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("entries"))
    exits = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("exits"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancy")
        ordering = ["camera", "area", "zone", "label"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(camera__isnull=False, area__isnull=True, zone__isnull=True)
                    | models.Q(camera__isnull=True, area__isnull=False, zone__isnull=True)
                    | models.Q(camera__isnull=True, area__isnull=True, zone__isnull=False)
                ),
                name="occupancy_of_one_scope",
            ),
            models.UniqueConstraint(fields=["camera", "label"], condition=models.Q(camera__isnull=False),
                                    name="one_occupancy_per_camera_label"),
            models.UniqueConstraint(fields=["area", "label"], condition=models.Q(area__isnull=False),
                                    name="one_occupancy_per_area_label"),
            models.UniqueConstraint(fields=["zone", "label"], condition=models.Q(zone__isnull=False),
                                    name="one_occupancy_per_zone_label"),
            range_check("occupancy", "current", 0, COUNTER_MAX),
            range_check("occupancy", "entries", 0, COUNTER_MAX),
            range_check("occupancy", "exits", 0, COUNTER_MAX),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.scope_name}: {self.current} {self.label}"

    @property
    def scope_name(self) -> str:
        return str(self.camera or self.area or self.zone)


class OccupancyMinute(models.Model):
    """An occupancy's value at the end of a minute and its peak in it (minutes without change carry on)."""

    occupancy = models.ForeignKey(
        Occupancy, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("occupancy")
    )
    minute = models.DateTimeField(verbose_name=_("minute"))
    value = models.PositiveIntegerField(validators=within(0, COUNTER_MAX), verbose_name=_("value"))
    peak = models.PositiveIntegerField(validators=within(0, COUNTER_MAX), verbose_name=_("peak"))

    class Meta:
        verbose_name = _("occupancy minute")
        verbose_name_plural = _("occupancy minutes")
        ordering = ["-minute"]
        constraints = [
            models.UniqueConstraint(fields=["occupancy", "minute"], name="one_occupancy_bucket_per_minute"),
            range_check("occupancyminute", "value", 0, COUNTER_MAX),
            range_check("occupancyminute", "peak", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.occupancy_id} @ {self.minute:%Y-%m-%d %H:%M}: {self.value} (peak {self.peak})"


class OccupancyCorrection(models.Model):
    """An operator set an occupancy by hand (the counter drifted, a door was left uncounted): kept for audit."""

    occupancy = models.ForeignKey(
        Occupancy, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("occupancy")
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    previous = models.PositiveIntegerField(validators=within(0, COUNTER_MAX), verbose_name=_("previous"))
    value = models.PositiveIntegerField(validators=within(0, COUNTER_MAX), verbose_name=_("value"))
    user = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    note = models.CharField(max_length=200, blank=True, validators=[validate_plain_text], verbose_name=_("note"))

    class Meta:
        verbose_name = _("occupancy correction")
        verbose_name_plural = _("occupancy corrections")
        ordering = ["-at"]
        constraints = [
            range_check("occupancycorrection", "previous", 0, COUNTER_MAX),
            range_check("occupancycorrection", "value", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.occupancy} {self.previous} → {self.value}"
