from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from events.models import Event, ThreatRule


@admin.register(ThreatRule)
class ThreatRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "scope", "labels", "min_count", "severity", "hours", "cooldown_seconds"]
    list_filter = ["enabled", "severity", "scope"]
    search_fields = ["name", "district", "recommended_actions"]
    filter_horizontal = ["cameras"]
    fieldsets = [
        (None, {"fields": ["name", "enabled", "severity", "recommended_actions"]}),
        ("Where", {"fields": ["scope", "cameras", "district", "zone"]}),
        ("What", {"fields": ["labels", "min_confidence", "min_count", "hold_frames"]}),
        ("When", {"fields": ["active_from", "active_until", "cooldown_seconds"]}),
        ("Map", {"fields": ["danger_radius_m"]}),
    ]

    @admin.display(description="active hours")
    def hours(self, rule: ThreatRule) -> str:
        if rule.active_from is None:
            return "always"
        return f"{rule.active_from:%H:%M}-{rule.active_until:%H:%M}"


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail", "title", "camera", "label", "severity", "status", "peak_count", "first_seen", "last_seen",
        "hit_count",
    ]  # fmt: skip
    list_display_links = ["thumbnail", "title"]
    list_filter = ["status", "severity", "kind", "rule", "camera__district", "camera"]
    list_select_related = ["camera"]
    search_fields = ["title", "label", "camera__name"]
    date_hierarchy = "first_seen"
    readonly_fields = [
        "kind", "camera", "rule", "label", "first_seen", "last_seen", "hit_count", "peak_count", "detail",
        "evidence", "detections",
    ]  # fmt: skip
    exclude = ["snapshot", "annotated_snapshot"]

    @admin.display(description="")
    def thumbnail(self, event: Event) -> str:
        if not event.annotated_snapshot:
            return "—"
        url = reverse("event-snapshot", args=[event.pk, "annotated"])
        return format_html('<img src="{}" alt="" style="height:48px;border-radius:4px">', url)

    @admin.display(description="snapshot")
    def evidence(self, event: Event) -> str:
        if not event.annotated_snapshot:
            return "—"
        annotated = reverse("event-snapshot", args=[event.pk, "annotated"])
        plain = reverse("event-snapshot", args=[event.pk, "plain"])
        return format_html(
            '<a href="{}"><img src="{}" alt="annotated snapshot" style="max-width:640px;width:100%"></a>'
            '<br><a href="{}">original frame</a>',
            annotated, annotated, plain,
        )  # fmt: skip
