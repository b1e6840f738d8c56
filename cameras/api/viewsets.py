from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from cameras.api.filters import CameraFilterSet
from cameras.api.serializers import CameraMapSerializer, CameraSerializer
from cameras.models import Camera
from cameras.selectors import cameras_with_latest_counts
from core.geojson import GeoJSONMixin
from core.query_params import BadParameter, optional, parse_flag, parse_integer

COMPACT = OpenApiParameter(
    "compact",
    OpenApiTypes.BOOL,
    description="Only what a map marker needs: id, name, latitude, longitude, heading, status.",
)


class CameraPagination(CursorPagination):
    """Pages only when asked (``page_size`` or ``cursor``): the plain list stays one answer, as clients
    have always read it; the map pages through thousands of cameras."""

    ordering = ("id",)
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000

    def paginate_queryset(self, queryset, request: Request, view=None):
        if not {self.page_size_query_param, self.cursor_query_param} & request.query_params.keys():
            return None
        return super().paginate_queryset(queryset, request, view)

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


@extend_schema_view(list=extend_schema(parameters=[COMPACT]))
class CameraViewSet(GeoJSONMixin, viewsets.ModelViewSet):
    """Cameras: readable by every role, changed by administrators (model permissions)."""

    queryset = cameras_with_latest_counts()
    serializer_class = CameraSerializer
    filterset_class = CameraFilterSet
    pagination_class = CameraPagination

    def compact(self) -> bool:
        if self.action != "list":
            return False
        try:
            return bool(optional(parse_flag, "compact", self.request.query_params.get("compact")))
        except BadParameter as bad:
            raise exceptions.ValidationError({bad.name: [bad.message]}) from None

    def get_queryset(self):
        if self.compact():
            return Camera.objects.order_by("name")  # no latest-counts subqueries for a marker
        return super().get_queryset()

    def get_serializer_class(self):
        return CameraMapSerializer if self.compact() else super().get_serializer_class()
