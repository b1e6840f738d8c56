import django_filters

from events.models import Event, Severity


class EventFilterSet(django_filters.FilterSet):
    """Filters of the event list; ``changed_since`` is how the live map catches up after a reconnect."""

    status = django_filters.MultipleChoiceFilter(choices=Event.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    is_open = django_filters.BooleanFilter(method="filter_open", label="Only events still being handled")
    changed_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    seen_since = django_filters.IsoDateTimeFilter(field_name="last_seen", lookup_expr="gte")
    seen_before = django_filters.IsoDateTimeFilter(field_name="last_seen", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["status", "severity", "camera", "label", "kind", "rule"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        lookup = {"status__in": Event.OPEN_STATUSES}
        return queryset.filter(**lookup) if value else queryset.exclude(**lookup)
