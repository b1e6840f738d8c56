"""Frame ingestion for edge devices: ``POST /api/cameras/<id>/frames/`` with a JPEG/PNG body."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cameras.models import Camera
from cameras.services import PushRefused, camera_push_frame, camera_push_token_valid


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The frame is too large."


class RawFrameParser(BaseParser):
    """The body as bytes, read no further than the configured limit."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.FRAME_UPLOAD_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise PayloadTooLarge(f"The frame is larger than {limit} bytes.")
        return data


def frame_body(request: Request) -> bytes:
    """The pushed frame's bytes, never more than the limit, however the body was sent.

    DRF reads no body at all without a ``Content-Length`` (it hands the view an empty ``{}``), so a
    chunked upload (``Transfer-Encoding: chunked``, as curl sends from a pipe) would be refused as
    "empty". Such a body is read here from the server's request stream, capped while reading.
    """
    if request.META.get("CONTENT_LENGTH") or "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return request.data if isinstance(request.data, bytes) else b""
    limit = settings.FRAME_UPLOAD_MAX_BYTES
    data = request._request.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The frame is larger than {limit} bytes.")
    if not data:
        # A server that does not pass chunked bodies on (WSGI without Content-Length) gives nothing:
        # say so rather than blame the frame for being empty.
        raise LengthRequired()
    return data


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "The chunked upload arrived without a body; send the frame with a Content-Length."


class FrameAcceptedSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class CameraTokenMissing(exceptions.AuthenticationFailed):
    default_detail = "Send the camera's push token as 'Authorization: Bearer <token>'."


class CameraFrameIngestView(APIView):
    """Edge devices push frames here, authenticated by their camera's push token."""

    authentication_classes: list = []  # the camera token is checked below, not a user login
    permission_classes = [permissions.AllowAny]
    parser_classes = [RawFrameParser]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="vigil-camera"'

    @extend_schema(
        request={"image/jpeg": bytes, "image/png": bytes},
        responses={
            202: OpenApiResponse(FrameAcceptedSerializer, description="Frame accepted into the pipeline"),
            400: OpenApiResponse(description="Not a complete JPEG or PNG image"),
            401: OpenApiResponse(description="Missing or wrong push token"),
            409: OpenApiResponse(description="The camera is disabled or not in push mode"),
            411: OpenApiResponse(description="A chunked upload whose body the server did not pass on"),
            413: OpenApiResponse(description="Larger than VIGIL_FRAME_UPLOAD_MAX_BYTES"),
            429: OpenApiResponse(description="Faster than one frame per capture interval"),
        },
        summary="Push a frame from an edge device",
    )
    def post(self, request: Request, pk: int) -> Response:
        # An unknown camera gets the same 401 as a wrong token: the answer does not say which ids exist.
        camera = Camera.objects.filter(pk=pk).first()
        self._check_token(request, camera)
        declared = request.META.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) > settings.FRAME_UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(f"The frame is larger than {settings.FRAME_UPLOAD_MAX_BYTES} bytes.")
        try:
            frame = camera_push_frame(camera=camera, data=frame_body(request))
        except PushRefused as refused:
            headers = {"Retry-After": str(max(1, round(refused.retry_after)))} if refused.retry_after else {}
            return Response({"detail": refused.message}, status=refused.status, headers=headers)
        return Response({"accepted": True, "width": frame.width, "height": frame.height}, status=202)

    def _check_token(self, request: Request, camera: Camera | None) -> None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise CameraTokenMissing()
        if camera is None or not camera_push_token_valid(camera=camera, token=token.strip()):
            raise exceptions.AuthenticationFailed("The push token is not valid for this camera.")
