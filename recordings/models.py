"""What a camera recorded: short segments of its own video, and each event's clip cut from them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cameras.models import Camera
from core.bounds import COUNTER_MAX, range_check, within
from events.models import Event

# Bytes of one file: a 4 s segment is a few MB, a clip at most CLIP_MAX_SECONDS of video.
FILE_SIZE_MAX = 2_147_483_647


class Segment(models.Model):
    """A few seconds of one camera's stream, copied as it came (MPEG-TS, no re-encoding)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="segments", verbose_name=_("camera"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    ended_at = models.DateTimeField(verbose_name=_("ended at"))
    file = models.FileField(upload_to="recordings/", max_length=300, verbose_name=_("file"))
    size = models.PositiveIntegerField(
        default=0, validators=within(0, FILE_SIZE_MAX), help_text=_("Bytes on disk."), verbose_name=_("size")
    )
    # One after the other per camera, with no holes: a live playlist's media sequence numbers must count
    # its segments one by one, and the rows' ids skip whatever the other cameras recorded meanwhile.
    sequence = models.PositiveIntegerField(
        default=0, editable=False, validators=within(0, COUNTER_MAX), verbose_name=_("sequence")
    )

    class Meta:
        verbose_name = _("recorded segment")
        verbose_name_plural = _("recorded segments")
        ordering = ["camera", "started_at"]
        indexes = [models.Index(fields=["camera", "started_at"]), models.Index(fields=["ended_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__gte=models.F("started_at")), name="segment_ordered"),
            range_check("segment", "size", 0, FILE_SIZE_MAX),
            range_check("segment", "sequence", 0, COUNTER_MAX),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at:%Y-%m-%d %H:%M:%S} ({self.duration:.1f} s)"

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


class Clip(models.Model):
    """An event's video, from its pre-roll to its post-roll, cut from the segments (kept after they go)."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="clip")
    file = models.FileField(upload_to="clips/", max_length=300)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    size = models.PositiveIntegerField(default=0, validators=within(0, FILE_SIZE_MAX))
    event_last_seen = models.DateTimeField(help_text="The event's last sighting when the clip was cut.")
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__gte=models.F("started_at")), name="clip_ordered"),
            range_check("clip", "size", 0, FILE_SIZE_MAX),
        ]

    def __str__(self) -> str:
        return f"clip of event #{self.event_id}"
