from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cameras import sources
from cameras.models import Camera
from core import redact


class CameraSerializer(serializers.ModelSerializer):
    """A camera; its credentials (user, password, credential query parameters) are accepted on write and
    never returned."""

    username = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=150)
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )
    latest_counts = serializers.SerializerMethodField(help_text="What the newest processed frame counted.")
    counted_at = serializers.SerializerMethodField()
    latest_frame_url = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = [
            "id", "name", "slug", "description", "latitude", "longitude", "address", "heading",
            "district", "tags", "source_url", "username", "password", "capture_mode",
            "capture_interval", "rtsp_transport", "enabled", "status", "last_frame_at", "last_error",
            "consecutive_failures", "last_latency_ms", "frame_width", "frame_height",
            "detect", "detection_model", "motion_gate", "motion_threshold", "detection_error",
            "latest_counts", "counted_at", "latest_frame_url",
        ]  # fmt: skip
        read_only_fields = [
            "slug", "status", "last_frame_at", "last_error", "consecutive_failures",
            "last_latency_ms", "frame_width", "frame_height", "detection_error",
        ]  # fmt: skip

    # Annotated by ``cameras_with_latest_counts``; absent on a camera just created or changed.
    @extend_schema_field(serializers.DictField(child=serializers.IntegerField(), allow_null=True))
    def get_latest_counts(self, camera: Camera) -> dict | None:
        return getattr(camera, "latest_counts", None)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_counted_at(self, camera: Camera) -> str | None:
        counted_at = getattr(camera, "counted_at", None)
        return serializers.DateTimeField().to_representation(counted_at) if counted_at else None

    def get_latest_frame_url(self, camera: Camera) -> str:
        return reverse("camera-latest-frame", args=[camera.slug])

    def to_representation(self, camera: Camera) -> dict:
        data = super().to_representation(camera)
        # Readers (Viewers, the map) get the URL without its credentials; writers send back what they
        # read, and ``validate`` puts the stored values back where they find the mask.
        if "source_url" in data:
            data["source_url"] = redact.mask_url(camera.source_url)
        if data.get("last_error"):
            data["last_error"] = redact.mask_text(data["last_error"])
        return data

    def validate_source_url(self, value: str) -> str:
        stored = self.instance.source_url if isinstance(self.instance, Camera) else ""
        value = redact.unmask_url(value, stored)
        sources.validate_source_url(value)
        return value

    def validate(self, attrs: dict) -> dict:
        if "source_url" in attrs:
            url, username, password = sources.split_credentials(attrs["source_url"])
            attrs["source_url"] = url
            if username:
                attrs["username"] = username
                attrs["password"] = password or attrs.get("password", "")
            if (
                isinstance(self.instance, Camera)
                and "password" not in attrs
                and sources.password_must_be_retyped(self.instance, url)
            ):
                raise serializers.ValidationError(
                    {"password": 'The address changed: type the password for the new address again (or send "").'}
                )
        return attrs


class CameraMapSerializer(serializers.ModelSerializer):
    """What a camera's map marker needs (``/api/cameras/map/``): under a third of the full answer's bytes and
    no per-row query for the latest counts; the popup fetches the full camera when it opens."""

    class Meta:
        model = Camera
        fields = ["id", "name", "latitude", "longitude", "heading", "status"]
        read_only_fields = fields
