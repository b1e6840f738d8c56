"""Query parameters read the same way everywhere: integers of ASCII digits, moments in a safe range.

A query string is typed by anyone. Python is generous where the database is not: ``"²".isdigit()``
is true but ``int("²")`` fails; ``int("٣")`` is 3; ``0001-01-01T00:00+14:00`` parses but overflows
when it is turned into UTC for the query, and year 9999 overflows when a day or a month is added
to it. Each of those was a 500. Every view, filter set, serializer and admin list that reads the
query string goes through these readers, which refuse such values with a message naming the
parameter (a 400, or the admin's "invalid filter" answer) before a query is built.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import django_filters
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet
from django_filters.rest_framework.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Years a moment may have, in UTC: far from both ends of ``datetime`` (1 and 9999), so that any
# time-zone offset, a day or a month added, or a year's bounds never leave what Python and the
# databases can represent; far beyond anything a camera recorded or will.
FIRST_YEAR, LAST_YEAR = 1900, 9000
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# The range of a 64-bit signed integer, the widest integer column of both databases.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# ``[0-9]``, not ``\d``: in a str pattern ``\d`` also matches Arabic-Indic, full-width and other digits.
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
# A decimal number in ASCII (``float()`` also takes "٣", "1_0", "nan" and "1e999").
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")
BBOX_HELP = "min_lon,min_lat,max_lon,max_lat in degrees, digits 0-9 (e.g. 4.85,52.35,4.95,52.40)."

MOMENT_HELP = (
    f"give an ISO 8601 date and time (e.g. 2026-11-22T08:00:00+01:00) between the years {FIRST_YEAR} and {LAST_YEAR}."
)


class BadParameter(ValueError):
    """A query parameter that cannot be used; ``str()`` names it and says what it should be."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


def _refuse_control(name: str, value: str) -> None:
    if "\x00" in value:
        # PostgreSQL refuses NUL in any text, so a query carrying one fails when it is executed.
        raise BadParameter(name, "must not contain NUL characters.")


def parse_integer(name: str, value: str, *, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int:
    """``value`` as an int: optional sign, ASCII digits, within ``minimum``..``maximum``."""
    _refuse_control(name, value)
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise BadParameter(name, "give a whole number written with the digits 0-9.")
    number = int(text)
    if not minimum <= number <= maximum:
        raise BadParameter(name, f"give a whole number from {minimum} to {maximum}.")
    return number


def parse_bbox(name: str, value: str) -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` (the order of GeoJSON and map clients) as four floats: ASCII
    decimals, longitudes within ±180 and latitudes within ±90, each minimum below its maximum."""
    _refuse_control(name, value)
    parts = value.split(",")
    if len(parts) != 4 or not all(_DECIMAL.fullmatch(part.strip()) for part in parts):
        raise BadParameter(name, f"Give four numbers: {BBOX_HELP}")
    west, south, east, north = (float(part) for part in parts)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise BadParameter(name, "Longitudes must be within ±180 and latitudes within ±90.")
    if west >= east or south >= north:
        raise BadParameter(name, "The box is inside out or empty: min_lon < max_lon, min_lat < max_lat.")
    return west, south, east, north


def parse_flag(name: str, value: str) -> bool:
    """``true``/``false`` (or ``1``/``0``), as DRF and django-filter write booleans."""
    _refuse_control(name, value)
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise BadParameter(name, "give true or false.")


def check_moment(name: str, moment: datetime) -> datetime:
    """``moment`` made aware (in the current time zone when naive) if it lies in the safe range."""
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadParameter(name, MOMENT_HELP) from None
    if not EARLIEST <= in_utc <= LATEST:
        raise BadParameter(name, MOMENT_HELP)
    return moment


def check_date(name: str, day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadParameter(name, f"give a date between the years {FIRST_YEAR} and {LAST_YEAR}.")
    return day


def parse_moment(name: str, value: str) -> datetime:
    """An ISO 8601 date and time, or a date (its local midnight), as an aware datetime in the safe range."""
    _refuse_control(name, value)
    try:
        moment = parse_datetime(value.strip())
        if moment is None and (day := parse_date(value.strip())):
            moment = datetime(day.year, day.month, day.day)
    except ValueError:  # well formed but impossible: month 13, an offset of 25 hours
        moment = None
    if moment is None:
        raise BadParameter(name, MOMENT_HELP)
    return check_moment(name, moment)


INSTANT_HELP = (
    "give epoch milliseconds (digits 0-9, e.g. 1796000000000) or an ISO 8601 date and time "
    f"(e.g. 2026-11-22T08:00:00.250+01:00) between the years {FIRST_YEAR} and {LAST_YEAR}."
)


def parse_instant(name: str, value: str) -> datetime:
    """Epoch milliseconds (ASCII digits: what a script's ``Date.now()`` gives) or an ISO 8601 moment, as an
    aware datetime in the safe range."""
    _refuse_control(name, value)
    text = value.strip()
    if text.isascii() and text.isdigit():
        ms = parse_integer(name, text, minimum=0, maximum=int(LATEST.timestamp() * 1000))
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    try:
        return parse_moment(name, value)
    except BadParameter:
        raise BadParameter(name, INSTANT_HELP) from None


def optional(parse, name: str, value: str | None, **bounds):
    """``parse(name, value)``, or None when the parameter is absent or empty."""
    return None if value is None or value == "" else parse(name, value, **bounds)


# -- Django forms and django-filter -------------------------------------------------------------


class QueryDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment in the safe range (the error is listed under the parameter's name)."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return check_moment("value", moment)
        except BadParameter as bad:
            raise forms.ValidationError(bad.message, code="out_of_range") from None


class QueryDateField(forms.DateField):
    def clean(self, value):
        day = super().clean(value)
        if day is None:
            return None
        try:
            return check_date("value", day)
        except BadParameter as bad:
            raise forms.ValidationError(bad.message, code="out_of_range") from None


class QueryIntegerField(forms.IntegerField):
    """A whole number of ASCII digits within 64 bits (Django's field reads ``٣`` as 3 and has no bounds)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        minimum = INT_MIN if self.min_value is None else self.min_value
        maximum = INT_MAX if self.max_value is None else self.max_value
        try:
            return parse_integer("value", str(value), minimum=minimum, maximum=maximum)
        except BadParameter as bad:
            raise forms.ValidationError(bad.message, code="invalid") from None


class QueryModelChoiceField(django_filters.fields.ModelChoiceField):
    """A row chosen by its integer key, given in ASCII digits."""

    def to_python(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.pk if key == "pk" else self.queryset.model._meta.get_field(key)
        if value not in self.empty_values and isinstance(field, models.IntegerField):
            try:
                value = parse_integer("value", str(value))
            except BadParameter:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class BoundingBoxField(forms.CharField):
    """``min_lon,min_lat,max_lon,max_lat`` read by :func:`parse_bbox`."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_bbox("bbox", value)
        except BadParameter as bad:
            raise forms.ValidationError(bad.message, code="invalid") from None


@extend_schema_field(OpenApiTypes.STR)
class BoundingBoxFilter(django_filters.Filter):
    """Rows whose ``latitude``/``longitude`` columns lie in the box (no PostGIS: two range conditions,
    served by the ``(latitude, longitude)`` index)."""

    field_class = BoundingBoxField

    def filter(self, queryset, value):
        if not value:
            return queryset
        west, south, east, north = value
        return queryset.filter(latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east)


BBOX_FILTER_HELP = (
    "Only what lies inside min_lon,min_lat,max_lon,max_lat (degrees, WGS 84; e.g. 4.85,52.35,4.95,52.40): "
    "longitudes within ±180, latitudes within ±90, each minimum below its maximum; otherwise a 400."
)


class QueryDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = QueryDateTimeField


class QueryDateFilter(django_filters.DateFilter):
    field_class = QueryDateField


class QueryIntegerFilter(django_filters.NumberFilter):
    field_class = QueryIntegerField


class QueryModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = QueryModelChoiceField


_INTEGER_FIELDS = [
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField, models.BigIntegerField,
    models.SmallIntegerField, models.PositiveIntegerField, models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
]  # fmt: skip
QUERY_FILTER_DEFAULTS = {
    **FILTER_FOR_DBFIELD_DEFAULTS,
    models.DateTimeField: {"filter_class": QueryDateTimeFilter},
    models.DateField: {"filter_class": QueryDateFilter},
    models.ForeignKey: {**FILTER_FOR_DBFIELD_DEFAULTS[models.ForeignKey], "filter_class": QueryModelChoiceFilter},
    models.OneToOneField: {
        **FILTER_FOR_DBFIELD_DEFAULTS[models.OneToOneField],
        "filter_class": QueryModelChoiceFilter,
    },
    **{field: {"filter_class": QueryIntegerFilter} for field in _INTEGER_FIELDS},
}


class QueryFilterSet(RestFilterSet):
    """The API's filter sets: every generated integer, key and moment filter reads through this module."""

    FILTER_DEFAULTS = QUERY_FILTER_DEFAULTS


class QueryFilterBackend(DjangoFilterBackend):
    """``filterset_fields`` of every viewset build a :class:`QueryFilterSet`."""

    filterset_base = QueryFilterSet


# -- DRF serializers (query serializers of APIViews) -------------------------------------------


class QueryIntegerSerializerField(serializers.IntegerField):
    def to_internal_value(self, data):
        try:
            return parse_integer(
                self.field_name,
                str(data),
                minimum=INT_MIN if self.min_value is None else self.min_value,
                maximum=INT_MAX if self.max_value is None else self.max_value,
            )
        except BadParameter as bad:
            raise serializers.ValidationError(bad.message, code="invalid") from None


class QueryDateTimeSerializerField(serializers.DateTimeField):
    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        try:
            return check_moment(self.field_name, moment)
        except BadParameter as bad:
            raise serializers.ValidationError(bad.message, code="out_of_range") from None
