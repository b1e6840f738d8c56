"""Admin lists that answer a bad filter with Django's "invalid filter" reply, never a 500.

Django's change list turns most malformed filters into ``IncorrectLookupParameters`` (a redirect
to ``?e=1``), but not all: a moment that overflows when it is turned into UTC, or a
date-hierarchy year of 9999 (its next day, month or year cannot be computed), fail later, when
the query runs or the page is drawn. Here every filter value is read up front with
:mod:`core.query_params`, by the type of the field it filters, so that the list and every
custom view built on it (the events' CSV export) refuse it before any query is built.

Every ModelAdmin registered on Vigil's admin site gets this change list, Django's own
(users, groups) and every future one included: :class:`VigilAdminSite` mixes it in when a
ModelAdmin is registered.
"""

from __future__ import annotations

from functools import cache

from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import DataError, models
from django.db.models.constants import LOOKUP_SEP

from core.admin_input import SafeInputAdminMixin
from core.admin_secrets import SecretFieldsAdminMixin
from core.query_params import FIRST_YEAR, LAST_YEAR, BadParameter, parse_integer, parse_moment

# Lookups whose value is one value of the field's own type; ``in`` and ``range`` take several.
_ONE_VALUE = {"exact", "iexact", "gt", "gte", "lt", "lte"}
_SEVERAL_VALUES = {"in", "range"}
# Date parts and their bounds (``year`` within the range every moment is held to).
_DATE_PARTS = {
    "year": (FIRST_YEAR, LAST_YEAR), "month": (1, 12), "day": (1, 31), "week": (1, 53), "week_day": (1, 7),
    "iso_week_day": (1, 7), "quarter": (1, 4), "iso_year": (FIRST_YEAR, LAST_YEAR), "hour": (0, 23),
    "minute": (0, 59), "second": (0, 59),
}  # fmt: skip


def _field_and_lookups(model: type[models.Model], key: str) -> tuple[models.Field | None, list[str]]:
    """The field a filter parameter names (the target column of a relation) and the lookups after it."""
    parts = key.split(LOOKUP_SEP)
    for cut in range(len(parts), 0, -1):
        try:
            field = get_fields_from_path(model, LOOKUP_SEP.join(parts[:cut]))[-1]
        except (FieldDoesNotExist, NotRelationField):
            continue
        if isinstance(field, models.ForeignObject):
            field = field.target_field
        return (field if isinstance(field, models.Field) else None), parts[cut:]
    return None, []


def _check_value(name: str, field: models.Field, lookups: list[str], value: str) -> None:
    lookup = lookups[-1] if lookups else "exact"
    if isinstance(field, models.DateField) and lookup in _DATE_PARTS:  # a date part: first_seen__year
        low, high = _DATE_PARTS[lookup]
        parse_integer(name, value, minimum=low, maximum=high)
        return
    if lookup in _SEVERAL_VALUES:
        values = value.split(",")
    elif lookup in _ONE_VALUE and len(lookups) <= 1:
        values = [value]
    else:
        return  # isnull, contains, a transform of a transform: Django's own checks suffice
    for one in values:
        if isinstance(field, models.DateField):  # DateTimeField too; a date is read as its midnight
            parse_moment(name, one)
        elif isinstance(field, models.IntegerField):  # AutoField and the positive/small/big kinds too
            parse_integer(name, one)


def filter_params_check(model: type[models.Model], params: dict[str, list[str]]) -> None:
    """Raise :class:`BadParameter` for the first filter value that would fail or overflow in a query."""
    for name, values in params.items():
        field, lookups = _field_and_lookups(model, name)
        for value in values:
            if "\x00" in value:
                raise BadParameter(name, "must not contain NUL characters.")
            if field is not None:
                _check_value(name, field, lookups, value)


class SafeChangeListMixin:
    """Refuses bad filter values before Django builds (and later runs) the list's queries."""

    def __init__(self, request, *args, **kwargs) -> None:
        self._request = request
        super().__init__(request, *args, **kwargs)

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        # A SimpleListFilter's parameter is its own vocabulary ("open", "all"), even where it
        # shares a field's name: that filter reads it, not a lookup.
        own = {f.parameter_name for f in self.list_filter if isinstance(f, type) and issubclass(f, SimpleListFilter)}
        try:
            filter_params_check(self.model, {name: v for name, v in lookup_params.items() if name not in own})
        except BadParameter as bad:
            self._request.vigil_bad_parameter = bad  # for the list's message; a CSV export says it in its 400
            raise IncorrectLookupParameters(str(bad)) from bad
        return lookup_params

    def get_results(self, request):
        try:
            return super().get_results(request)
        except (OverflowError, DataError) as error:  # a value the checks above did not foresee
            raise IncorrectLookupParameters(str(error)) from error


@cache
def safe_changelist(base: type[ChangeList]) -> type[ChangeList]:
    """``base`` (Django's ChangeList or an admin's own) with :class:`SafeChangeListMixin`."""
    if issubclass(base, SafeChangeListMixin):
        return base
    return type(f"Safe{base.__name__}", (SafeChangeListMixin, base), {})


class SafeQueryAdminMixin(SecretFieldsAdminMixin, SafeInputAdminMixin):
    """A ModelAdmin whose list (and every view built on it) refuses bad filter values cleanly,
    never shows, filters or searches a secret (:mod:`core.admin_secrets`), and whose forms and
    actions refuse keys and JSON that would crash a query or the parser (:mod:`core.admin_input`)."""

    def get_changelist(self, request, **kwargs):
        return safe_changelist(super().get_changelist(request, **kwargs))

    def get_search_results(self, request, queryset, search_term):
        # The list's search form refuses NUL but the autocomplete view does not, and PostgreSQL
        # refuses any text holding one (a 500): nobody searches for it, so it is dropped.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def get_object(self, request, object_id, from_field=None):
        # ``?_to_field=`` (empty) passes Django's check (it tests only a non-empty value) and then
        # names no field: every change, delete and history page answered 500. Empty means the key.
        return super().get_object(request, object_id, from_field or None)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        bad = getattr(request, "vigil_bad_parameter", None)
        if bad is not None and response.status_code == 302:
            # Django redirects to the unfiltered list (``?e=1``); the message there says why.
            messages.error(request, f"Filter ignored: {bad}")
        return response


class VigilAdminSite(admin.AdminSite):
    """Django's admin site; every ModelAdmin registered on it gets the safe change list."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeQueryAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (SafeQueryAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)
