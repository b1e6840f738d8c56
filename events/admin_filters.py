"""Event list filters that stay cheap on a table of a million events."""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cameras.models import Camera
from events.models import Event


class EventStatusFilter(admin.SimpleListFilter):
    """Open events unless asked otherwise: the list is a work queue first, an archive second."""

    title = _("status")
    parameter_name = "status"
    OPEN, ALL = "open", "all"

    def lookups(self, request, model_admin):
        return [(self.OPEN, _("Open (new, acknowledged, dispatched)")), *Event.Status.choices, (self.ALL, _("All"))]

    def value(self) -> str:
        return super().value() or self.OPEN

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.OPEN:
            return queryset.filter(status__in=Event.OPEN_STATUSES)
        if value in Event.Status.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        # No "All" link that drops the parameter: without it the list shows open events.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DistrictFilter(admin.SimpleListFilter):
    """Districts named on cameras (read from the small camera table, not from the events)."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        districts = Camera.objects.exclude(district="").order_by("district").values_list("district", flat=True)
        return [(name, name) for name in districts.distinct()]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(camera__district=self.value())
        return queryset
