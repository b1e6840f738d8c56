"""The recorded segments, read only: the recorder writes them and retention deletes them (with their files)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recordings.models import Segment


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """What each camera recorded, by camera and start. No one adds, changes or deletes a segment here:
    a row is what ffmpeg finished, and deleting it would leave its file behind or a clip without video."""

    list_display = ["camera", "started_at", "ended_at", "seconds", "size"]
    list_filter = ["camera"]
    list_select_related = ["camera"]
    date_hierarchy = "started_at"
    ordering = ["camera", "-started_at"]
    fields = ["camera", "started_at", "ended_at", "seconds", "size", "file"]
    readonly_fields = fields
    show_full_result_count = False  # a continuous camera writes 21,600 segments a day

    @admin.display(description=_("seconds"))
    def seconds(self, segment: Segment) -> str:
        return f"{segment.duration:.1f}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
