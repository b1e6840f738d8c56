from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from events.models import Event, EventAction, ThreatRule
from events.workflow import TransitionRefused, event_transition


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


class EventActionInline(admin.TabularInline):
    """The event's handling history: written by the workflow service only, never edited."""

    model = EventAction
    fields = ["created_at", "user", "action", "from_status", "to_status", "dispatched_to", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
    # Status and its companions change only through the workflow service, which keeps the history.
    readonly_fields = [
        "kind", "camera", "rule", "label", "status", "assignee", "resolution_note", "resolved_at",
        "first_seen", "last_seen", "hit_count", "peak_count", "detail", "evidence", "detections",
    ]  # fmt: skip
    exclude = ["snapshot", "annotated_snapshot"]
    inlines = [EventActionInline]
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge selected events", permissions=["change"])
    def acknowledge(self, request, queryset) -> None:
        done, refused = 0, []
        for event in queryset:
            try:
                event_transition(event=event, action=EventAction.Action.ACKNOWLEDGE, user=request.user)
                done += 1
            except TransitionRefused as refusal:
                refused.append(refusal.message)
        if done:
            self.message_user(request, f"{done} event(s) acknowledged.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

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
