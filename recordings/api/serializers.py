"""The shapes of the recordings' API: segments, kept frames, and the query of a window of time."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from cameras.models import Still
from core.query_params import QueryDateTimeSerializerField
from recordings.models import Segment

# The longest window one query may ask for: a continuous camera's day is about 21,600 segments.
WINDOW_MAX = timedelta(days=1)
WINDOW_DEFAULT = timedelta(hours=1)


class SegmentSerializer(serializers.ModelSerializer):
    """A few seconds of a camera's video as recorded (MPEG-TS, the camera's own encoding)."""

    duration = serializers.FloatField(help_text="Seconds.")

    class Meta:
        model = Segment
        fields = ["id", "camera", "started_at", "ended_at", "duration", "size"]
        read_only_fields = fields


class StillSerializer(serializers.ModelSerializer):
    """A frame a snapshot camera kept (its JPEG as it came), the stuff of its events' timelapse clips."""

    class Meta:
        model = Still
        fields = ["id", "camera", "captured_at", "size"]
        read_only_fields = fields


class RecordingsQuerySerializer(serializers.Serializer):
    since = QueryDateTimeSerializerField(required=False, help_text="Default: an hour before `until`.")
    until = QueryDateTimeSerializerField(required=False, help_text="Default: now.")

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("until", timezone.now())
        attrs.setdefault("since", attrs["until"] - WINDOW_DEFAULT)
        if attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"since": "since must be before until."})
        if attrs["until"] - attrs["since"] > WINDOW_MAX:
            raise serializers.ValidationError({"since": "The window is at most 24 hours: ask for several."})
        return attrs


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField(help_text="SubjectPublicKeyInfo PEM, as `openssl pkeyutl -pubin` reads it.")
    public_key_sha256 = serializers.CharField(help_text="SHA-256 of the raw 32-byte key, as manifests name it.")
