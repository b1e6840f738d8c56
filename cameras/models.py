from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cameras import sources
from core.bounds import COUNTER_MAX, range_check, validate_names, validate_plain_text, validate_text_size, within

# A day between snapshots at most: beat's and the capture spacing's date arithmetic stay far from overflowing.
CAPTURE_INTERVAL_MAX = 86_400
RECORDING_RETENTION_DAYS_MAX = 3650
# Files a recorder can copy as video (a photo looped as a camera is not).
VIDEO_FILE_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".ts", ".avi")
# No frame the decoder accepts (8192 x 8192 pixels at most) has a longer side.
FRAME_SIDE_MAX = 8192 * 8192
TRACK_BUFFER_MAX = 3_600  # frames: five minutes at 12.5 fps


def validate_tags(value: object) -> None:
    validate_names(value, what=_("short tags"), example='["entrance", "night"]')


class Camera(models.Model):
    """One city camera: its place on the map, how to reach it, and its current health."""

    class TrackRegion(models.TextChoices):
        LINES = "lines", _("around its counting lines")
        PICTURE = "picture", _("the whole picture")

    class Tracker(models.TextChoices):
        BYTETRACK = "bytetrack", _("ByteTrack (boxes only; fast)")
        BOTSORT = "botsort", _("BoT-SORT (also corrects camera motion)")

    class CaptureMode(models.TextChoices):
        INTERVAL = "interval", _("Interval snapshots")
        STREAM = "stream", _("Continuous stream analysis")
        PUSH = "push", _("Pushed by an edge device")

    class Recording(models.TextChoices):
        OFF = "off", _("Off")
        EVENTS = "events", _("Around events only")
        CONTINUOUS = "continuous", _("Continuous")

    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        DEGRADED = "degraded", _("Degraded")
        OFFLINE = "offline", _("Offline")
        DISABLED = "disabled", _("Disabled")

    name = models.CharField(max_length=120, validators=[validate_plain_text], verbose_name=_("name"))
    slug = models.SlugField(max_length=120, unique=True, blank=True, verbose_name=_("slug"))
    description = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("description"))
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=within(Decimal("-90"), Decimal("90")),
        help_text=_("WGS84 degrees, -90 to 90."),
        verbose_name=_("latitude"),
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=within(Decimal("-180"), Decimal("180")),
        help_text=_("WGS84 degrees, -180 to 180."),
        verbose_name=_("longitude"),
    )
    address = models.CharField(max_length=255, blank=True, validators=[validate_plain_text], verbose_name=_("address"))
    heading = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=within(0, 359),
        help_text=_("Direction the camera faces, degrees clockwise from north."),
        verbose_name=_("heading"),
    )
    district = models.CharField(
        max_length=80, blank=True, db_index=True, validators=[validate_plain_text], verbose_name=_("district")
    )
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags], verbose_name=_("tags"))

    source_url = models.CharField(
        max_length=1000,
        validators=[sources.validate_source_url],
        help_text=_("rtsp://, rtsps://, http(s):// (MJPEG, JPEG snapshot or HLS .m3u8), file:// or device://N."),
        verbose_name=_("source url"),
    )
    username = models.CharField(max_length=150, blank=True, verbose_name=_("username"))
    # Needed in clear to log in to the camera; never returned by the API, listed or logged.
    password = models.CharField(max_length=255, blank=True, verbose_name=_("password"))
    capture_mode = models.CharField(
        max_length=10, choices=CaptureMode.choices, default=CaptureMode.INTERVAL, verbose_name=_("capture mode")
    )
    capture_interval = models.PositiveIntegerField(
        default=10,
        validators=within(1, CAPTURE_INTERVAL_MAX),
        help_text=_("Seconds between snapshots (1 to 86,400, a day)."),
        verbose_name=_("capture interval"),
    )
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    rtsp_transport = models.CharField(
        max_length=3,
        choices=[("tcp", "TCP"), ("udp", "UDP")],
        default="tcp",
        help_text=_("How RTSP video travels; TCP passes firewalls, some cameras only offer UDP."),
        verbose_name=_("rtsp transport"),
    )

    detect = models.BooleanField(
        default=True, help_text=_("Run detection and threat rules on its frames."), verbose_name=_("detect")
    )
    detection_model = models.ForeignKey(
        "detection.DetectionModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cameras",
        help_text=_("Empty: the default model."),
        verbose_name=_("detection model"),
    )
    recording = models.CharField(
        max_length=10,
        choices=Recording.choices,
        default=Recording.OFF,
        help_text=_(
            "Record the camera's own video (RTSP, HLS, files: H.264/H.265) into short segments, without "
            "re-encoding; a snapshot camera (JPEG, push) keeps its captured frames instead, and its events' "
            "clips are timelapses of them. Around events only keeps just what the events' clips need."
        ),
        verbose_name=_("recording"),
    )
    recording_retention_days = models.PositiveSmallIntegerField(
        default=7,
        validators=within(1, RECORDING_RETENTION_DAYS_MAX),
        help_text=_("Days continuous recordings are kept (1 to 3,650); the store's size cap may delete older first."),
        verbose_name=_("recording retention days"),
    )
    motion_gate = models.BooleanField(
        default=True,
        help_text=_("Skip inference when the picture has not changed since the last processed frame."),
        verbose_name=_("motion gate"),
    )
    motion_threshold = models.FloatField(
        default=0.5,
        validators=within(0.0, 100.0),
        help_text=_("Percent of the picture that must change for a frame to be processed."),
        verbose_name=_("motion threshold"),
    )
    # Tracking (stream analysis and counting lines). Defaults measured on real clips: docs/benchmarks.md.
    track_region = models.CharField(
        _("track"), max_length=8, choices=TrackRegion.choices, default=TrackRegion.LINES,
        help_text=_("Around the counting lines, the model sees the people who cross them larger for the same "
        "cost; threat rules and counts still look at the whole picture once a second."),
    )  # fmt: skip
    tracker = models.CharField(
        max_length=10, choices=Tracker.choices, default=Tracker.BYTETRACK, verbose_name=_("tracker")
    )
    track_confidence = models.FloatField(
        _("detection confidence for tracking"), default=0.1, validators=within(0.01, 1.0),
        help_text=_("Boxes down to this confidence go to the tracker (it uses weak boxes to keep people it already "
        "follows); what people see and rules use still starts at the model's confidence."),
    )  # fmt: skip
    track_high_thresh = models.FloatField(
        default=0.25,
        validators=within(0.0, 1.0),
        help_text=_("Boxes at least this confident are matched first."),
        verbose_name=_("track high thresh"),
    )
    track_low_thresh = models.FloatField(
        default=0.1, validators=within(0.0, 1.0),
        help_text=_("Weaker boxes down to this are matched second, to tracks the first round left unmatched."),
        verbose_name=_("track low thresh"),
    )  # fmt: skip
    new_track_thresh = models.FloatField(
        default=0.25,
        validators=within(0.0, 1.0),
        help_text=_("An unmatched box this confident starts a new track."),
        verbose_name=_("new track thresh"),
    )
    track_buffer = models.PositiveIntegerField(
        default=30, validators=within(1, TRACK_BUFFER_MAX),
        help_text=_("Analysed frames a lost track is kept to be found again (30 at 12.5 fps: 2.4 s)."),
        verbose_name=_("track buffer"),
    )  # fmt: skip
    match_thresh = models.FloatField(
        default=0.8, validators=within(0.0, 1.0),
        help_text=_("How far apart (1 - overlap) a track and a box may be and still match."),
        verbose_name=_("match thresh"),
    )  # fmt: skip

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OFFLINE, db_index=True, verbose_name=_("status")
    )
    last_frame_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last frame at"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    detection_error = models.CharField(
        max_length=500, blank=True, help_text=_("Why its frames cannot be analysed."), verbose_name=_("detection error")
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0, validators=within(0, COUNTER_MAX), verbose_name=_("consecutive failures")
    )
    last_latency_ms = models.PositiveIntegerField(
        null=True, blank=True, validators=within(0, COUNTER_MAX), verbose_name=_("last latency ms")
    )
    frame_width = models.PositiveIntegerField(
        null=True, blank=True, validators=within(1, FRAME_SIDE_MAX), verbose_name=_("frame width")
    )
    frame_height = models.PositiveIntegerField(
        null=True, blank=True, validators=within(1, FRAME_SIDE_MAX), verbose_name=_("frame height")
    )
    # Claimed by the worker capturing the camera (a conditional update), so captures never overlap.
    capture_lock_until = models.DateTimeField(null=True, blank=True, verbose_name=_("capture lock until"))
    # No scheduled capture runs before this: spacing between captures, and back-off after failures.
    next_capture_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next capture at"))
    # When beat's dispatcher next queues a capture (cameras in interval mode only; empty otherwise). It
    # advances by the interval from its own value, so the cadence holds however late a tick runs.
    capture_due_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("capture due at"))
    # SHA-256 of the token edge devices push frames with; the token itself is shown once.
    push_token_hash = models.CharField(max_length=64, blank=True, verbose_name=_("push token hash"))

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["name"]
        indexes = [
            # The dispatcher's query every second: the due interval cameras, oldest first.
            models.Index(
                fields=["capture_due_at"],
                name="camera_capture_due",
                condition=models.Q(enabled=True, capture_mode="interval"),
            ),
            # The live map asks for the cameras in view (``bbox``): a range on latitude, then longitude.
            models.Index(fields=["latitude", "longitude"], name="camera_position"),
        ]
        constraints = [
            range_check("camera", "latitude", Decimal("-90"), Decimal("90")),
            range_check("camera", "longitude", Decimal("-180"), Decimal("180")),
            range_check("camera", "heading", 0, 359),
            range_check("camera", "capture_interval", 1, CAPTURE_INTERVAL_MAX),
            range_check("camera", "recording_retention_days", 1, RECORDING_RETENTION_DAYS_MAX),
            range_check("camera", "motion_threshold", 0.0, 100.0),
            range_check("camera", "track_confidence", 0.01, 1.0),
            range_check("camera", "track_high_thresh", 0.0, 1.0),
            range_check("camera", "track_low_thresh", 0.0, 1.0),
            range_check("camera", "new_track_thresh", 0.0, 1.0),
            range_check("camera", "track_buffer", 1, TRACK_BUFFER_MAX),
            range_check("camera", "match_thresh", 0.0, 1.0),
            range_check("camera", "consecutive_failures", 0, COUNTER_MAX),
            range_check("camera", "last_latency_ms", 0, COUNTER_MAX),
            range_check("camera", "frame_width", 1, FRAME_SIDE_MAX),
            range_check("camera", "frame_height", 1, FRAME_SIDE_MAX),
        ]
        # Actions that reach the real device (or cut it off), beyond editing the row: Administrators.
        permissions = [
            ("capture_camera", "Can test and capture from cameras now"),
            ("issue_push_token", "Can issue a new push token (the edge device's old one stops working)"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = _unique_slug(self.name)
        if not self.enabled:
            self.status = self.Status.DISABLED
        self.move_credentials_out_of_url()  # whatever path saved it, the URL is shown, the password never
        super().save(*args, **kwargs)

    def clean(self) -> None:
        low, high = self.track_low_thresh, self.track_high_thresh
        if low is not None and high is not None and low > high:
            raise ValidationError({"track_low_thresh": _("The second round's threshold must not exceed the first's.")})
        username = sources.split_credentials(self.source_url)[1] if self.source_url else ""
        if username and self.username and self.username != username:
            raise ValidationError({"source_url": _("The URL and the username field name different users.")})
        self.move_credentials_out_of_url()

    @property
    def keeps_stills(self) -> bool:
        """Whether its accepted frames are kept as stills: recording on for a source that is no video (JPEG
        snapshots, MJPEG, pushed frames), so its events' clips are made from its frames instead."""
        return self.recording != self.Recording.OFF and not self.delivers_video

    @property
    def delivers_video(self) -> bool:
        """Whether the source is video a recorder can copy as it comes (H.264/H.265 over RTSP, HLS, a file)."""
        parts = urlsplit(self.source_url)
        scheme = parts.scheme.lower()
        path = parts.path.lower()
        hls = scheme in sources.HTTP_SCHEMES and path.endswith(".m3u8")
        video_file = scheme == sources.FILE_SCHEME and path.endswith(VIDEO_FILE_SUFFIXES)
        return scheme in sources.STREAM_SCHEMES or hls or video_file

    def move_credentials_out_of_url(self) -> None:
        """Credentials typed into the URL move to their own fields."""
        url, username, password = sources.split_credentials(self.source_url or "")
        if username or password:
            self.source_url, self.username = url, username or self.username
            self.password = password or self.password

    @property
    def masked_source_url(self) -> str:
        return sources.masked(self.source_url, self.username)

    @property
    def connection_url(self) -> str:
        """The URL with credentials, for the capture code only."""
        return sources.with_credentials(self.source_url, self.username, self.password)

    def tracker_settings(self) -> dict:
        """The tracker's thresholds (ultralytics' YAML keys), from this camera's fields."""
        settings = {
            "tracker_type": self.tracker,
            "track_high_thresh": self.track_high_thresh,
            "track_low_thresh": self.track_low_thresh,
            "new_track_thresh": self.new_track_thresh,
            "track_buffer": self.track_buffer,
            "match_thresh": self.match_thresh,
        }
        return settings


# Bytes of one kept frame (a JPEG; the pushed ones are bounded by VIGIL_FRAME_UPLOAD_MAX_BYTES).
STILL_SIZE_MAX = 2_147_483_647


class Still(models.Model):
    """A frame a snapshot camera kept because its recording is on: the stuff of its events' timelapses.

    It lives in the cameras app because the cameras' frame service writes it as each frame is accepted,
    and cameras sit below recordings (which prunes the stills and makes clips of them): a model in
    recordings would need a signal up to it for every frame.
    """

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="stills", verbose_name=_("camera"))
    captured_at = models.DateTimeField(verbose_name=_("captured at"))
    file = models.FileField(upload_to="stills/", max_length=300, verbose_name=_("file"))
    size = models.PositiveIntegerField(
        default=0, validators=within(0, STILL_SIZE_MAX), help_text=_("Bytes on disk."), verbose_name=_("size")
    )

    class Meta:
        verbose_name = _("kept frame")
        verbose_name_plural = _("kept frames")
        ordering = ["camera", "captured_at"]
        # A camera's frames over a clip's window; and the oldest of all first when the store is over its cap.
        indexes = [models.Index(fields=["camera", "captured_at"]), models.Index(fields=["captured_at"])]
        constraints = [range_check("still", "size", 0, STILL_SIZE_MAX)]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.captured_at:%Y-%m-%d %H:%M:%S.%f}"


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "camera"
    slug, n = base, 2
    while Camera.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
