from django.contrib import admin

from events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "camera", "label", "severity", "status", "first_seen", "last_seen", "hit_count"]
    list_filter = ["status", "severity", "kind", "camera__district", "camera"]
    list_select_related = ["camera"]
    search_fields = ["title", "label", "camera__name"]
    date_hierarchy = "first_seen"
    readonly_fields = ["kind", "camera", "label", "first_seen", "last_seen", "hit_count", "peak_count", "detail"]
