from rest_framework import serializers

from cameras import sources
from cameras.models import Camera


class CameraSerializer(serializers.ModelSerializer):
    """A camera; its password is accepted on write and never returned."""

    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )

    class Meta:
        model = Camera
        fields = [
            "id", "name", "slug", "description", "latitude", "longitude", "address", "heading",
            "district", "tags", "source_url", "username", "password", "capture_mode",
            "capture_interval", "rtsp_transport", "enabled", "status", "last_frame_at", "last_error",
            "consecutive_failures", "last_latency_ms", "frame_width", "frame_height",
            "detect", "detection_model", "motion_gate", "motion_threshold", "detection_error",
        ]  # fmt: skip
        read_only_fields = [
            "slug", "status", "last_frame_at", "last_error", "consecutive_failures",
            "last_latency_ms", "frame_width", "frame_height", "detection_error",
        ]  # fmt: skip

    def validate(self, attrs: dict) -> dict:
        if "source_url" in attrs:
            url, username, password = sources.split_credentials(attrs["source_url"])
            attrs["source_url"] = url
            if username:
                attrs["username"] = username
                attrs["password"] = password or attrs.get("password", "")
        return attrs
