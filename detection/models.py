from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.bounds import (
    COUNTER_MAX,
    range_check,
    validate_json_size,
    validate_label_map,
    validate_names,
    validate_plain_text,
    within,
)
from detection.backends import BACKENDS, PRECISIONS
from detection.weights import file_sha256, validate_weights_file

LABEL_MAX_LENGTH = 50  # Event.label's column

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda|cuda:\d+|\d+)$")


def validate_keep_labels(value: object) -> None:
    # Labels become event and crossing labels (the label map's limits, core/bounds.py): one line, short.
    validate_names(value, what=_("labels"), example='["person", "vehicle"]')


def validate_device(value: str) -> None:
    if not _DEVICE.match(value):
        raise ValidationError(f"{value!r} is not a device: use auto, cpu, cuda or cuda:N.")


class DetectionModel(models.Model):
    """A YOLO model the detect workers can run, and how its classes become Vigil labels."""

    name = models.CharField(max_length=100, unique=True, validators=[validate_plain_text], verbose_name=_("name"))
    weights = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "An ultralytics model name (yolo11n.pt), a path, or a path inside an installed package "
            "(fall_detection/models/best.pt). Ignored when a file is uploaded. Weights are code: only users "
            "with the weights permission (superusers) may set them."
        ),
        verbose_name=_("weights"),
    )
    weights_file = models.FileField(
        upload_to="models/",
        blank=True,
        validators=[FileExtensionValidator(["pt", "onnx"]), validate_weights_file],
        help_text=_(
            "Your own weights, for networks without internet access. Prefer .onnx: a .pt file is a "
            "Python pickle that runs code when loaded, so upload only .pt files you built or trust. "
            "Checked for its format and size; its SHA-256 is kept and logged."
        ),
        verbose_name=_("weights file"),
    )
    weights_sha256 = models.CharField(
        _("weights SHA-256"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Of the uploaded weights file."),
    )
    device = models.CharField(
        max_length=12,
        default="auto",
        validators=[validate_device],
        help_text=_("auto, cpu, cuda or cuda:N."),
        verbose_name=_("device"),
    )
    image_size = models.PositiveIntegerField(
        default=640,
        validators=within(32, 4096),
        help_text=_("Inference size in pixels (32 to 4096)."),
        verbose_name=_("image size"),
    )
    confidence = models.FloatField(
        default=0.25,
        validators=within(0.0, 1.0),
        help_text=_("Detections below this confidence are dropped before any rule sees them."),
        verbose_name=_("confidence"),
    )
    iou = models.FloatField(default=0.45, validators=within(0.0, 1.0), verbose_name=_("iou"))
    backend = models.CharField(
        max_length=12,
        choices=[(b, b) for b in BACKENDS],
        default="auto",
        help_text=_(
            "The runtime that runs the model: auto picks OpenVINO on a host without CUDA (about 2x PyTorch's "
            "speed there) and PyTorch on a CUDA GPU. An export is made once per host and used only if it finds "
            "what PyTorch finds on the validation pictures; otherwise PyTorch runs and the state says why. "
            "VIGIL_DETECTION_BACKEND overrides it on a host."
        ),
        verbose_name=_("backend"),
    )
    precision = models.CharField(
        max_length=8,
        choices=[(p, p) for p in PRECISIONS],
        default="auto",
        help_text=_(
            "auto: the backend's own (OpenVINO uses bf16 on CPUs that have it, else fp32). fp16: half "
            "precision (CUDA; OpenVINO stores fp16 weights). int8: OpenVINO/TensorRT quantised on the validation "
            "pictures, fastest but it may add false boxes: it is used only if validation accepts it."
        ),
        verbose_name=_("precision"),
    )
    label_map = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_label_map],
        help_text=_(
            'Model class → Vigil label, e.g. {"car": "vehicle", "Fall": "person_down"}. '
            "Unmapped classes keep their own name."
        ),
        verbose_name=_("label map"),
    )
    keep_labels = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_keep_labels],
        help_text=_('Vigil labels to keep, e.g. ["person", "vehicle"]; empty keeps all.'),
        verbose_name=_("keep labels"),
    )
    is_default = models.BooleanField(
        default=False, help_text=_("Used by cameras that name no model."), verbose_name=_("is default")
    )
    classes = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        validators=[validate_json_size],
        help_text=_("Read from the weights."),
        verbose_name=_("classes"),
    )
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))
    backend_status = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text=_("What the last worker to load it runs, and why."),
        verbose_name=_("backend status"),
    )
    loaded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("loaded at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("detection model")
        verbose_name_plural = _("detection models")
        ordering = ["-is_default", "name"]
        # Weights are code (a .pt is a pickle): whoever sets them runs code in every detect worker.
        permissions = [("manage_model_weights", "Can upload or name detection model weights (runs their code)")]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default"),
            range_check("detectionmodel", "image_size", 32, 4096),
            range_check("detectionmodel", "confidence", 0.0, 1.0),
            range_check("detectionmodel", "iou", 0.0, 1.0),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A new file (uploaded now, or stored by FieldFile.save before this save): its digest, for the audit.
        file = self.weights_file
        if file and (not file._committed or file.name != getattr(self, "_stored_weights_file", None)):
            self.weights_sha256 = file_sha256(file)
        elif not file:
            self.weights_sha256 = ""
        with transaction.atomic():
            if self.is_default:
                DetectionModel.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
            super().save(*args, **kwargs)
        self._stored_weights_file = self.weights_file.name or ""

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the stored file's name, so save() can tell a newly stored file."""
        model = super().from_db(db, field_names, values)
        model._stored_weights_file = str(model.__dict__.get("weights_file") or "")
        return model

    def clean(self) -> None:
        if not self.weights and not self.weights_file:
            raise ValidationError(_("Name the weights or upload a weights file."))

    def label_for(self, class_name: str) -> str:
        return self.label_map.get(class_name, class_name)


class CountSample(models.Model):
    """What one processed frame showed: the number of detections per label.

    One row per camera and capture time, which is also what makes processing idempotent.
    """

    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="count_samples", verbose_name=_("camera")
    )
    captured_at = models.DateTimeField(verbose_name=_("captured at"))
    counts = models.JSONField(default=dict, validators=[validate_json_size], verbose_name=_("counts"))
    total = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("total"))
    unchanged = models.BooleanField(
        default=False, help_text=_("Skipped by the motion gate; counts carried over."), verbose_name=_("unchanged")
    )
    inference_ms = models.PositiveIntegerField(
        null=True, blank=True, validators=within(0, COUNTER_MAX), verbose_name=_("inference ms")
    )

    class Meta:
        verbose_name = _("count sample")
        verbose_name_plural = _("count samples")
        ordering = ["-captured_at"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "captured_at"], name="one_sample_per_frame"),
            range_check("countsample", "total", 0, COUNTER_MAX),
            range_check("countsample", "inference_ms", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["captured_at"])]

    def __str__(self) -> str:
        return f"{self.camera_id} @ {self.captured_at:%Y-%m-%d %H:%M:%S}: {self.counts}"


class CountMinute(models.Model):
    """What one camera's frames of one minute showed, added up as each frame is recorded.

    The counts API reads these (a day by minute is 1,440 rows, whatever the frame rate); raw
    samples are removed after a day, buckets after ``VIGIL_COUNT_MINUTE_RETENTION_DAYS``.
    """

    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.CASCADE, related_name="count_minutes", verbose_name=_("camera")
    )
    minute = models.DateTimeField(verbose_name=_("minute"))
    samples = models.PositiveIntegerField(default=0, validators=within(0, COUNTER_MAX), verbose_name=_("samples"))
    sums = models.JSONField(
        default=dict,
        validators=[validate_json_size],
        help_text=_("Sum of each label's counts over the samples."),
        verbose_name=_("sums"),
    )
    peaks = models.JSONField(
        default=dict,
        validators=[validate_json_size],
        help_text=_("Highest count of each label in the minute."),
        verbose_name=_("peaks"),
    )

    class Meta:
        verbose_name = _("count minute")
        verbose_name_plural = _("count minutes")
        ordering = ["-minute"]
        constraints = [
            models.UniqueConstraint(fields=["camera", "minute"], name="one_bucket_per_minute"),
            range_check("countminute", "samples", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.camera_id} @ {self.minute:%Y-%m-%d %H:%M}"

    @property
    def means(self) -> dict[str, float]:
        return {label: total / self.samples for label, total in self.sums.items()} if self.samples else {}
