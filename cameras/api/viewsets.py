from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from cameras.api.filters import CameraFilterSet
from cameras.api.serializers import CameraMapSerializer, CameraSerializer
from cameras.models import Camera
from cameras.selectors import cameras_with_latest_counts
from core.geojson import GeoJSONMixin
from core.query_params import BadParameter, optional, parse_integer


class CameraPagination(CursorPagination):
    """Stable pages of the map's markers, by id (a camera added meanwhile neither repeats nor shifts a row)."""

    ordering = ("id",)
    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 2000

    def get_page_size(self, request: Request) -> int:
        try:
            size = optional(parse_integer, "page_size", request.query_params.get("page_size"), minimum=1)
        except BadParameter as bad:
            raise exceptions.ValidationError({bad.name: [bad.message]}) from None
        return min(size or self.page_size, self.max_page_size)

    def decode_cursor(self, request: Request):
        # A forged position would reach the query as text compared with an integer column.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                parse_integer(self.cursor_query_param, cursor.position)
            except BadParameter:
                raise exceptions.NotFound(self.invalid_cursor_message) from None
        return cursor


class CameraViewSet(GeoJSONMixin, viewsets.ModelViewSet):
    """Cameras: readable by every role, changed by administrators (model permissions)."""

    queryset = cameras_with_latest_counts()
    serializer_class = CameraSerializer
    filterset_class = CameraFilterSet
    geojson_actions = ("list", "retrieve", "markers")

    @extend_schema(responses=CameraMapSerializer(many=True))
    @action(detail=False, url_path="map", serializer_class=CameraMapSerializer, pagination_class=CameraPagination)
    def markers(self, request: Request) -> Response:
        """What the live map's markers need, in cursor pages: the list's filters (``bbox`` above all),
        none of its per-camera queries for the latest counts; a popup fetches the full camera."""
        page = self.paginate_queryset(self.filter_queryset(Camera.objects.all()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
