from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_objects import changeable_object
from core.badges import EVENT_STATUS_COLOURS, SEVERITY_COLOURS, field_badge
from core.maps import tiles_context
from core.query_params import BadParameter, parse_integer
from core.stored_text import shown
from core.times import short_time
from events.admin_filters import DistrictFilter, EventStatusFilter
from events.admin_forms import WorkflowForm, workflow_choices
from events.admin_paging import CappedPaginator
from events.exports import events_csv_lines
from events.labels import label_name
from events.models import Event, EventAction, RuleSnooze, ThreatRule
from events.rule_forms import ThreatRuleAdminForm
from events.rules import rule_describe
from events.workflow import (
    SNOOZE_CHOICES,
    TransitionRefused,
    event_transition,
    events_transition,
    rule_snooze,
    rule_snooze_end,
    rule_tuned_record,
)

Action = EventAction.Action


@admin.register(RuleSnooze)
class RuleSnoozeAdmin(admin.ModelAdmin):
    """The snoozes operators set from events: read-only, ended early with the action."""

    list_display = ["rule", "camera", "until", "running", "user", "event", "note"]
    list_filter = [("until", admin.DateFieldListFilter), "rule"]
    list_select_related = ["rule", "camera", "user"]
    search_fields = ["rule__name", "camera__name", "note"]
    readonly_fields = ["rule", "camera", "until", "user", "event", "note", "created_at"]
    actions = ["end_now"]

    @admin.display(boolean=True, description=_("running"))
    def running(self, snooze: RuleSnooze) -> bool:
        return snooze.until > timezone.now()

    def has_add_permission(self, request) -> bool:
        return False  # from an event only: the history says who and why

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)  # the list's action, no edit form

    @admin.action(description=_("End the selected snoozes now"), permissions=["change"])
    def end_now(self, request, queryset):
        snoozes = queryset.select_related("rule", "camera")
        ended = sum(rule_snooze_end(snooze=snooze, user=request.user) for snooze in snoozes)
        done = gettext("%(count)d snooze(s) ended: their rules fire again from the next frame.") % {"count": ended}
        self.message_user(request, done, messages.SUCCESS)


@admin.register(ThreatRule)
class ThreatRuleAdmin(admin.ModelAdmin):
    form = ThreatRuleAdminForm
    list_display = ["name", "enabled", "scope", "labels", "min_count", "severity_badge", "hours", "cooldown_seconds"]
    list_filter = ["enabled", "severity", "scope"]
    search_fields = ["name", "district", "recommended_actions"]
    filter_horizontal = ["cameras"]
    fieldsets = [
        (None, {"fields": ["in_plain_words", "name", "enabled", "severity", "recommended_actions"]}),
        (_("Where"), {"fields": ["scope", "cameras", "district", "zone"]}),
        (
            _("What"),
            {"fields": ["labels", "min_confidence", "min_count", "box_shape", "ignore_edge", "min_box_percent"]},
        ),
        (_("For how long"), {"fields": ["hold_frames", "sustain_seconds"]}),
        (_("When"), {"fields": ["active_from", "active_until", "cooldown_seconds", "escalate_after_minutes"]}),
        (_("Map"), {"fields": ["danger_radius_m"]}),
    ]
    readonly_fields = ["in_plain_words"]

    def _from_event(self, request, rule: ThreatRule | None) -> Event | None:
        """The event the rule is being tuned from (``?from_event=``), if it is one of this rule's."""
        try:
            pk = parse_integer("from_event", request.GET.get("from_event", ""), minimum=1)
        except BadParameter:
            return None
        return Event.objects.filter(pk=pk, rule=rule).first() if rule is not None else None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule = self.get_object(request, unquote(object_id))
        event = self._from_event(request, rule)
        if event is not None and request.method == "GET":
            tuning = gettext("Tuning from event #%(id)s: what you change is written in its history.") % {"id": event.pk}
            self.message_user(request, tuning, messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        event = self._from_event(request, form.instance) if change else None
        if event is not None:
            changes = {name: (form.initial.get(name), form.cleaned_data.get(name)) for name in form.changed_data}
            rule_tuned_record(event=event, rule=form.instance, changes=changes, user=request.user)

    @admin.display(description=_("in plain words"))
    def in_plain_words(self, rule: ThreatRule) -> str:
        # The rule as saved: what it does now, for the operator to check against what they meant.
        return rule_describe(rule) if rule.pk else gettext("Save the rule to read here what it does.")

    @admin.display(description=_("active hours"))
    def hours(self, rule: ThreatRule) -> str:
        if rule.active_from is None:
            return gettext("always")
        return f"{rule.active_from:%H:%M}-{rule.active_until:%H:%M}"

    @admin.display(description=_("severity"), ordering="severity")
    def severity_badge(self, rule: ThreatRule) -> str:
        return field_badge(rule, "severity", SEVERITY_COLOURS)


class EventActionInline(admin.TabularInline):
    """The event's handling history: written by the workflow service only, never edited."""

    model = EventAction
    verbose_name_plural = _("history")
    fields = ["created_at", "user", "action", "from_status", "to_status", "dispatched_to", "note_shown"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("note"))
    def note_shown(self, step: EventAction) -> str:
        return shown(step, "note")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail", "title_shown", "camera", "label_shown", "severity_badge", "status_badge", "peak_count", "seen",
        "assignee",
    ]  # fmt: skip
    list_display_links = ["thumbnail", "title_shown"]
    list_filter = [
        EventStatusFilter, "severity", ("first_seen", admin.DateFieldListFilter), DistrictFilter, "camera", "rule",
        "kind",
    ]  # fmt: skip
    list_select_related = ["camera", "assignee"]
    list_per_page = 50
    search_fields = ["title", "label", "camera__name"]
    date_hierarchy = "first_seen"
    ordering = ["-first_seen"]
    show_full_result_count = False  # one COUNT per page is enough on a big table
    paginator = CappedPaginator
    # Nothing here is typed in: status and its companions change only through the workflow service.
    fieldsets = [
        (None, {"fields": ["title_shown", "kind", "camera", "rule", "label_shown", "severity", "detail"]}),
        (_("Seen"), {"fields": ["first_seen", "last_seen", "hit_count", "peak_count", "snapshot_at"]}),
        (_("Place"), {"fields": ["latitude", "longitude", "danger_radius_m"]}),
        (_("Handling"), {"fields": ["status", "assignee", "resolved_at", "resolution_note_shown"]}),
    ]
    readonly_fields = [field for _title, options in fieldsets for field in options["fields"]]
    # notifications/admin.py adds its deliveries below the history (notifications sit above events).
    inlines = [EventActionInline]
    actions = ["acknowledge", "dispatch", "resolve", "false_alarm", "reopen", "add_note", "export_csv"]

    # -- list -------------------------------------------------------------------------------------

    @admin.display(description="")
    def thumbnail(self, event: Event) -> str:
        if not event.annotated_snapshot:
            return "—"
        url = reverse("event-snapshot", args=[event.pk, "annotated"])
        return format_html('<img src="{}" alt="" loading="lazy" style="height:48px;border-radius:4px">', url)

    @admin.display(description=_("label"), ordering="label")
    def label_shown(self, event: Event) -> str:
        return label_name(event.label)

    @admin.display(description=_("title"), ordering="title")
    def title_shown(self, event: Event) -> str:
        return shown(event, "title")

    @admin.display(description=_("resolution note"))
    def resolution_note_shown(self, event: Event) -> str:
        return shown(event, "resolution_note")

    @admin.display(description=_("seen"), ordering="first_seen")
    def seen(self, event: Event) -> str:
        """First and last seen in one short column (two long dates pushed the assignee off a 1366 px screen)."""
        return format_html(
            '<time datetime="{}" title="first seen {}">{}</time><br><time datetime="{}" title="last seen {}">{}</time>',
            event.first_seen.isoformat(), short_time(event.first_seen, full=True), short_time(event.first_seen),
            event.last_seen.isoformat(), short_time(event.last_seen, full=True), "→ " + short_time(event.last_seen),
        )  # fmt: skip

    @admin.display(description=_("severity"), ordering="severity")
    def severity_badge(self, event: Event) -> str:
        return field_badge(event, "severity", SEVERITY_COLOURS)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, event: Event) -> str:
        return field_badge(event, "status", EVENT_STATUS_COLOURS)

    def changelist_view(self, request, extra_context=None):
        # Viewers may export; every other POST here would change events.
        exporting = request.POST.getlist("action") == ["export_csv"]
        if request.method == "POST" and not exporting and not self.has_change_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        query.pop("p", None)
        extra = {"export_query": query.urlencode(), "websocket": "/ws/events/"}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    # -- workflow actions on the list ---------------------------------------------------------------

    def _bulk(self, request, queryset, action: str):
        """Apply ``action`` to the selection, first asking for the note/unit when the action needs one."""
        data = {}
        if action != Action.ACKNOWLEDGE:
            form = WorkflowForm(action, request.POST if "apply" in request.POST else None)
            if not form.is_valid():  # also the first time, when nothing was typed yet
                return self._bulk_form(request, queryset, action, form)
            data = form.cleaned_data
        outcome = events_transition(events=queryset, action=action, user=request.user, **data)
        if outcome.done:
            done = gettext("%(action)s: %(count)d event(s).") % {
                "action": Action(action).label,
                "count": len(outcome.done),
            }
            self.message_user(request, done, messages.SUCCESS)
        for message in outcome.refused:
            self.message_user(request, message, messages.WARNING)
        return None

    def _bulk_form(self, request, queryset, action: str, form: WorkflowForm) -> TemplateResponse:
        shown, count = list(queryset.select_related("camera")[:50]), queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("%(action)s: %(count)d event(s)") % {"action": Action(action).label, "count": count},
            "opts": self.model._meta,
            "form": form,
            "action": action,
            "events": shown,
            "more": count - len(shown),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/events/event/workflow_action.html", context)

    @admin.action(description=_("Acknowledge selected events"), permissions=["change"])
    def acknowledge(self, request, queryset):
        return self._bulk(request, queryset, Action.ACKNOWLEDGE)

    @admin.action(description=_("Dispatch selected events…"), permissions=["change"])
    def dispatch(self, request, queryset):
        return self._bulk(request, queryset, Action.DISPATCH)

    @admin.action(description=_("Resolve selected events…"), permissions=["change"])
    def resolve(self, request, queryset):
        return self._bulk(request, queryset, Action.RESOLVE)

    @admin.action(description=_("Mark selected events as false alarms…"), permissions=["change"])
    def false_alarm(self, request, queryset):
        return self._bulk(request, queryset, Action.FALSE_ALARM)

    @admin.action(description=_("Reopen selected events…"), permissions=["change"])
    def reopen(self, request, queryset):
        return self._bulk(request, queryset, Action.REOPEN)

    @admin.action(description=_("Add a note to selected events…"), permissions=["change"])
    def add_note(self, request, queryset):
        return self._bulk(request, queryset, Action.NOTE)

    @admin.action(description=_("Export selected events to CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return _csv_response(queryset.order_by("-first_seen", "-pk"))

    # -- the event page -----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_view), name="events_event_export"),
            path("<path:object_id>/workflow/", view(self.workflow_view), name="events_event_workflow"),
            path("<path:object_id>/snooze/", view(self.snooze_view), name="events_event_snooze"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # No Save buttons: nothing on the page is typed in; the workflow forms are the way to act.
        context |= {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        if obj is not None:
            context |= {
                **tiles_context(),
                "title": gettext("Event #%(id)s") % {"id": obj.pk},
                "event": obj,
                "changelist_filters": request.GET.get("_changelist_filters", ""),
                "severity_badge": self.severity_badge(obj),
                "status_badge": self.status_badge(obj),
                "workflow": workflow_choices(obj.actions_allowed()) if self.has_change_permission(request, obj) else [],
                "detections": [
                    {**d, "label_name": label_name(d.get("label", ""))}
                    for d in sorted(obj.detections, key=lambda d: -d.get("confidence", 0))
                ],
                **self._relief_context(request, obj),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _relief_context(self, request, event: Event) -> dict:
        """Snooze and tune, for an event a rule opened: who may, and the snoozes running now."""
        if event.rule_id is None or event.camera_id is None:
            return {}
        running = RuleSnooze.objects.filter(rule_id=event.rule_id, camera_id=event.camera_id, until__gt=timezone.now())
        tune = request.user.has_perm("events.change_threatrule")
        return {
            "snooze_choices": SNOOZE_CHOICES if self.has_change_permission(request, event) else [],
            "snoozes": list(running.select_related("user")[:5]),
            "tune_url": f"{reverse('admin:events_threatrule_change', args=[event.rule_id])}?from_event={event.pk}"
            if tune else "",
        }  # fmt: skip

    def snooze_view(self, request, object_id):
        """Snooze the event's rule on its camera, from the event page."""
        event = changeable_object(self, request, object_id)
        if request.method != "POST":  # after the permission: a refused role learns nothing more
            return HttpResponseNotAllowed(["POST"])
        note = request.POST.get("note", "")
        try:
            minutes = parse_integer("minutes", request.POST.get("minutes", ""), minimum=0)
        except BadParameter:
            minutes = -1  # the service says what it takes
        try:
            snooze = rule_snooze(event=event, minutes=minutes, user=request.user, note=note)
        except TransitionRefused as refused:
            kept = _note_not_saved(note)
            self.message_user(request, refused.message + kept, messages.ERROR)
        else:
            until = timezone.localtime(snooze.until)
            done = gettext("“%(rule)s” will open no event on “%(camera)s” until %(until)s.") % {
                "rule": snooze.rule,
                "camera": snooze.camera,
                "until": f"{until:%H:%M}",
            }
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:events_event_change", args=[event.pk]))

    def export_view(self, request):
        """The events of the list as filtered now (every page), as CSV with their history."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as refused:
            reason = str(refused) or gettext("a filter or the page number is not valid")
            refusal = gettext("These filters cannot be used: %(reason)s") % {"reason": reason}
            return HttpResponseBadRequest(refusal, content_type="text/plain")
        return _csv_response(changelist.queryset)

    def workflow_view(self, request, object_id):
        """One workflow action from the event page; the service decides, the page shows the outcome."""
        event = changeable_object(self, request, object_id)
        if request.method != "POST":  # after the permission: a refused role learns nothing more
            return HttpResponseNotAllowed(["POST"])
        action, note = request.POST.get("action", ""), request.POST.get("note", "")
        try:
            event = event_transition(
                event=event, action=action, user=request.user, note=note,
                dispatched_to=request.POST.get("dispatched_to", ""),
            )  # fmt: skip
        except TransitionRefused as refused:
            kept = _note_not_saved(note)
            self.message_user(request, refused.message + kept, messages.ERROR)
        else:
            done = gettext("Event #%(id)s: %(action)s — now %(status)s.") % {
                "id": event.pk,
                "action": Action(action).label.lower(),
                "status": event.get_status_display().lower(),
            }
            self.message_user(request, done, messages.SUCCESS)
        url = reverse("admin:events_event_change", args=[event.pk])
        filters = request.POST.get("_changelist_filters")
        return HttpResponseRedirect(f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url)


def _note_not_saved(note: str) -> str:
    """Said after a refusal, so that a typed note is not lost."""
    if not note.strip():
        return ""
    return " " + gettext("Your note was not saved: “%(note)s”") % {"note": note.strip()}


def _csv_response(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events_csv_lines(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="vigil-events-{stamp}.csv"'
    return response
