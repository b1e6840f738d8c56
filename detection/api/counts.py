"""``GET /api/counts/``: a camera's or a district's counts per minute, hour or day."""

from __future__ import annotations

import functools
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.models import Camera
from core.query_params import QueryDateTimeSerializerField, QueryIntegerSerializerField
from detection.models import CountMinute
from detection.series import BUCKETS, count_series

MAX_POINTS = 10_000


class CountQuerySerializer(serializers.Serializer):
    camera = QueryIntegerSerializerField(required=False, min_value=1, help_text="A camera's id (or give a district).")
    district = serializers.CharField(required=False, help_text="Every camera of this district, added up.")
    bucket = serializers.ChoiceField(choices=list(BUCKETS), default="hour")
    since = QueryDateTimeSerializerField(required=False, help_text="Default: 24 hours before `until`.")
    until = QueryDateTimeSerializerField(required=False, help_text="Default: now.")
    label = serializers.ListField(child=serializers.CharField(), required=False, help_text="Repeatable; default all.")

    def validate(self, attrs: dict) -> dict:
        if ("camera" in attrs) == ("district" in attrs):
            raise serializers.ValidationError("Give either camera or district.")
        if "camera" in attrs:
            attrs["camera_ids"] = list(Camera.objects.filter(pk=attrs["camera"]).values_list("pk", flat=True))
            if not attrs["camera_ids"]:
                raise serializers.ValidationError({"camera": f"No camera {attrs['camera']}."})
        else:
            attrs["camera_ids"] = list(Camera.objects.filter(district=attrs["district"]).values_list("pk", flat=True))
        attrs.setdefault("until", timezone.now())
        attrs.setdefault("since", attrs["until"] - timedelta(hours=24))
        if attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"since": "since must be before until."})
        buckets = (attrs["until"] - attrs["since"]) / BUCKETS[attrs["bucket"]]
        if buckets > MAX_POINTS:
            raise serializers.ValidationError(
                {"bucket": f"{int(buckets):,} {attrs['bucket']}s is too many (at most {MAX_POINTS:,}): "
                           "use a larger bucket or a shorter range."}
            )  # fmt: skip
        return attrs


class CountPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    label = serializers.CharField()
    samples = serializers.IntegerField(help_text="Frames analysed in the bucket.")
    mean = serializers.FloatField(help_text="Average count per analysed frame.")
    peak = serializers.IntegerField(help_text="Highest count in one frame.")


class CountSeriesSerializer(serializers.Serializer):
    camera = serializers.IntegerField(allow_null=True)
    district = serializers.CharField(allow_null=True)
    cameras = serializers.IntegerField(help_text="Cameras added up.")
    bucket = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    series = CountPointSerializer(many=True)


class CountSeriesView(APIView):
    """Counts over time per label. A district's values are its cameras' added up: ``mean`` is the
    average total seen, ``peak`` an upper bound of how many were seen at once."""

    queryset = CountMinute.objects.none()  # the permission to read counts: Viewers and up

    @extend_schema(parameters=[CountQuerySerializer], responses=CountSeriesSerializer)
    def get(self, request: Request) -> Response:
        query = CountQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        series = count_series(camera_ids=params["camera_ids"], since=params["since"], until=params["until"],
                              bucket=params["bucket"], labels=set(params.get("label", [])) or None)  # fmt: skip
        # Built by hand: DRF's field-by-field serialiser took most of the time of a day by minute.
        # Each bucket's start is written once (a bucket has a point per label); given the zone,
        # the field does not look it up on every call.
        written = serializers.DateTimeField(default_timezone=timezone.get_current_timezone())
        iso = functools.cache(written.to_representation)
        points = [{"start": iso(p.start), "label": p.label, "samples": p.samples, "mean": p.mean, "peak": p.peak}
                  for p in series]  # fmt: skip
        body = {"camera": params.get("camera"), "district": params.get("district"),
                "cameras": len(params["camera_ids"]), "bucket": params["bucket"],
                "since": iso(params["since"]), "until": iso(params["until"]), "series": points}  # fmt: skip
        return Response(body)
