"""The recordings' API: an event's clip, a camera's segments and kept frames, and the signed evidence export."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.generics import ListAPIView, get_object_or_404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.models import Camera, Still
from events.api.viewsets import EventPagination
from events.models import Event
from recordings.api.serializers import (
    PublicKeySerializer,
    RecordingsQuerySerializer,
    SegmentSerializer,
    StillSerializer,
)
from recordings.evidence import (
    event_evidence_export,
    evidence_public_key_fingerprint,
    evidence_public_key_pem,
    evidence_zip_response,
)
from recordings.models import Clip, Segment
from recordings.selectors import camera_segments, camera_stills
from recordings.serving import clip_response

MP4 = {"video/mp4": OpenApiTypes.BINARY}


class FirstRenderer(BaseContentNegotiation):
    """Errors in JSON whatever ``Accept`` says: a player asks for video, and the video is no rendered body."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class EventClipView(APIView):
    """The event's clip (MP4), with byte ranges answered as a player asks for them."""

    queryset = Event.objects.all()  # the permission to view events: Viewers and up
    content_negotiation_class = FirstRenderer

    def get_permissions(self) -> list:
        # The event's, and the camera's: a clip is the camera's video, as its recordings and live view are.
        return [*super().get_permissions(), CanViewCameras()]

    @extend_schema(
        operation_id="events_clip_retrieve",
        parameters=[OpenApiParameter("Range", str, OpenApiParameter.HEADER, description="e.g. `bytes=0-1023`")],
        responses={
            (200, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The whole clip."),
            (206, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The asked range."),
            (416, "video/mp4"): OpenApiResponse(description="The range lies past the clip's end."),
        },
    )
    def get(self, request: Request, pk: int):
        event = get_object_or_404(Event.objects.all(), pk=pk)
        clip = Clip.objects.filter(event=event).exclude(file="").first()
        if clip is None:
            raise exceptions.NotFound(
                f"Event {event.pk} has no clip yet (one is cut once the event has been quiet for a few seconds, "
                "if its camera records)."
            )
        try:
            return clip_response(clip, request.headers.get("Range", ""))
        except FileNotFoundError:
            raise exceptions.NotFound(f"The clip of event {event.pk} is gone from the disk.") from None


class CanViewCameras(permissions.BasePermission):
    message = "Only users who may view cameras may see their recordings."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("cameras.view_camera"))


class SegmentPagination(EventPagination):
    model = Segment
    ordering = ("started_at", "id")


class CameraRecordingsView(ListAPIView):
    """The camera's recorded segments that overlap ``since``..``until`` (at most 24 hours), oldest first."""

    serializer_class = SegmentSerializer
    pagination_class = SegmentPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return Segment.objects.none()
        camera = get_object_or_404(Camera.objects.all(), pk=self.kwargs["pk"])
        query = RecordingsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data
        return camera_segments(camera_id=camera.pk, since=window["since"], until=window["until"])

    def get_permissions(self) -> list:
        return [CanViewCameras()]  # the segments follow their camera: Viewers and up

    @extend_schema(parameters=[RecordingsQuerySerializer])
    def get(self, request: Request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StillPagination(EventPagination):
    model = Still
    ordering = ("captured_at", "id")


class CameraStillsView(ListAPIView):
    """The frames a snapshot camera kept (its recording on) taken in ``since``..``until`` (at most 24 hours),
    oldest first: what its events' timelapse clips are made of, until retention deletes them."""

    serializer_class = StillSerializer
    pagination_class = StillPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return Still.objects.none()
        camera = get_object_or_404(Camera.objects.all(), pk=self.kwargs["pk"])
        query = RecordingsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data
        return camera_stills(camera_id=camera.pk, since=window["since"], until=window["until"])

    def get_permissions(self) -> list:
        return [CanViewCameras()]  # the camera's pictures, as its recordings: Viewers and up

    @extend_schema(parameters=[RecordingsQuerySerializer])
    def get(self, request: Request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CanExportEvidence(permissions.BasePermission):
    message = "Only operators may export evidence."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms(["events.view_event", "events.change_event"])


class EventEvidenceExportView(APIView):
    """Export the event's evidence as a signed ZIP (clip, snapshots, detections, history, ``manifest.json``
    and its Ed25519 signature ``manifest.sig``); the export is written in the event's history."""

    permission_classes = [CanExportEvidence]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="events_export_create",
        request=None,
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The signed ZIP.")},
    )
    def post(self, request: Request, pk: int):
        event = get_object_or_404(Event.objects.all(), pk=pk)
        return evidence_zip_response(event_evidence_export(event=event, user=request.user))


class EvidencePublicKeyView(APIView):
    """The public key that checks the signature of evidence exports (``manifest.sig``): for every logged-in user."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=PublicKeySerializer)
    def get(self, request: Request) -> Response:
        return Response(
            {"algorithm": "Ed25519", "public_key_pem": evidence_public_key_pem(),
             "public_key_sha256": evidence_public_key_fingerprint()}
        )  # fmt: skip
