from django.contrib import admin

from flow.models import CountingLine, Crossing


@admin.register(CountingLine)
class CountingLineAdmin(admin.ModelAdmin):
    list_display = ["name", "camera", "start", "end", "in_side", "enabled"]
    list_filter = ["enabled", "camera__district"]
    search_fields = ["name", "camera__name"]
    autocomplete_fields = ["camera"]


@admin.register(Crossing)
class CrossingAdmin(admin.ModelAdmin):
    """Read only: crossings are what the tracker saw."""

    list_display = ["at", "camera", "line", "direction", "label", "track_id"]
    list_filter = ["direction", "label", "line"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
