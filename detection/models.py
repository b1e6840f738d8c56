from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+|\d+)$")


def validate_device(value: str) -> None:
    if not _DEVICE.match(value):
        raise ValidationError(f"{value!r} is not a device: use auto, cpu, cuda or cuda:N.")


class DetectionModel(models.Model):
    """A YOLO model the detect workers can run, and how its classes become Vigil labels."""

    name = models.CharField(max_length=100, unique=True)
    weights = models.CharField(
        max_length=255,
        blank=True,
        help_text="An ultralytics model name (yolo11n.pt), a path, or a path inside an installed package "
        "(fall_detection/models/best.pt). Ignored when a file is uploaded.",
    )
    weights_file = models.FileField(
        upload_to="models/",
        blank=True,
        validators=[FileExtensionValidator(["pt", "onnx"])],
        help_text="Your own .pt or .onnx weights, for networks without internet access.",
    )
    device = models.CharField(
        max_length=12, default="auto", validators=[validate_device], help_text="auto, cpu, cuda or cuda:N."
    )
    image_size = models.PositiveIntegerField(
        default=640, validators=[MinValueValidator(32), MaxValueValidator(4096)], help_text="Inference size in pixels."
    )
    confidence = models.FloatField(
        default=0.25,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Detections below this confidence are dropped before any rule sees them.",
    )
    iou = models.FloatField(default=0.45, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    half = models.BooleanField(default=False, help_text="FP16 inference (CUDA only; ignored on the CPU).")
    label_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='Model class → Vigil label, e.g. {"car": "vehicle", "Fall": "person_down"}. '
        "Unmapped classes keep their own name.",
    )
    keep_labels = models.JSONField(
        default=list, blank=True, help_text='Vigil labels to keep, e.g. ["person", "vehicle"]; empty keeps all.'
    )
    is_default = models.BooleanField(default=False, help_text="Used by cameras that name no model.")
    classes = models.JSONField(default=list, blank=True, editable=False, help_text="Read from the weights.")
    last_error = models.CharField(max_length=500, blank=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.is_default:
                DetectionModel.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
            super().save(*args, **kwargs)

    def clean(self) -> None:
        if not self.weights and not self.weights_file:
            raise ValidationError("Name the weights or upload a weights file.")
        if not isinstance(self.label_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in self.label_map.items()
        ):
            raise ValidationError({"label_map": "Give an object of class name → label strings."})
        if not isinstance(self.keep_labels, list) or not all(isinstance(x, str) for x in self.keep_labels):
            raise ValidationError({"keep_labels": "Give a list of label strings."})

    def label_for(self, class_name: str) -> str:
        return self.label_map.get(class_name, class_name)


class CountSample(models.Model):
    """What one processed frame showed: the number of detections per label.

    One row per camera and capture time, which is also what makes processing idempotent.
    """

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="count_samples")
    captured_at = models.DateTimeField()
    counts = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    unchanged = models.BooleanField(default=False, help_text="Skipped by the motion gate; counts carried over.")
    inference_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-captured_at"]
        constraints = [models.UniqueConstraint(fields=["camera", "captured_at"], name="one_sample_per_frame")]
        indexes = [models.Index(fields=["captured_at"])]

    def __str__(self) -> str:
        return f"{self.camera_id} @ {self.captured_at:%Y-%m-%d %H:%M:%S}: {self.counts}"


class CountMinute(models.Model):
    """What one camera's frames of one minute showed, added up as each frame is recorded.

    The counts API reads these (a day by minute is 1,440 rows, whatever the frame rate); raw
    samples are removed after a day, buckets after ``VIGIL_COUNT_MINUTE_RETENTION_DAYS``.
    """

    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="count_minutes")
    minute = models.DateTimeField()
    samples = models.PositiveIntegerField(default=0)
    sums = models.JSONField(default=dict, help_text="Sum of each label's counts over the samples.")
    peaks = models.JSONField(default=dict, help_text="Highest count of each label in the minute.")

    class Meta:
        ordering = ["-minute"]
        constraints = [models.UniqueConstraint(fields=["camera", "minute"], name="one_bucket_per_minute")]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.camera_id} @ {self.minute:%Y-%m-%d %H:%M}"

    @property
    def means(self) -> dict[str, float]:
        return {label: total / self.samples for label, total in self.sums.items()} if self.samples else {}
