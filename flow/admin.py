from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_plain_text
from events.labels import label_name
from flow.admin_forms import CountingLineAdminForm, CountingZoneAdminForm
from flow.models import CAPACITY_MAX, Area, CountingLine, CountingZone, Crossing, Occupancy, OccupancyCorrection
from flow.services import line_camera_warning, occupancy_correct


@admin.display(description=_("label"), ordering="label")
def label_shown(row) -> str:
    """A crossing's or an occupancy's label as people read it (``person_down`` → "person down")."""
    return label_name(row.label)


@admin.register(CountingLine)
class CountingLineAdmin(admin.ModelAdmin):
    form = CountingLineAdminForm
    list_display = ["name", "camera", "start", "end", "in_side", "enabled"]
    list_filter = ["enabled", "camera__district"]
    search_fields = ["name", "camera__name"]
    autocomplete_fields = ["camera"]

    def save_model(self, request, obj: CountingLine, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        warning = line_camera_warning(obj)
        if warning:
            self.message_user(request, warning, messages.WARNING)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "capacity", "doors"]
    search_fields = ["name"]
    filter_horizontal = ["lines"]

    @admin.display(description=_("doors"))
    def doors(self, area: Area) -> str:
        return ", ".join(str(line) for line in area.lines.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines__camera")


@admin.register(CountingZone)
class CountingZoneAdmin(admin.ModelAdmin):
    form = CountingZoneAdminForm
    list_display = ["name", "camera", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["name", "camera__name"]
    autocomplete_fields = ["camera"]


@admin.register(Crossing)
class CrossingAdmin(admin.ModelAdmin):
    """Read only: crossings are what the tracker saw."""

    list_display = ["at", "camera", "line", "direction", label_shown, "track_id"]
    list_filter = ["direction", "label", "line"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CorrectionForm(forms.Form):
    value = forms.IntegerField(min_value=0, max_value=CAPACITY_MAX, label=_("How many are there now"))
    note = forms.CharField(
        max_length=200, required=False, validators=[validate_plain_text], help_text=_("Why, for the audit trail.")
    )


class CorrectionInline(admin.TabularInline):
    model = OccupancyCorrection
    fields = ["at", "previous", "value", "user", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Occupancy)
class OccupancyAdmin(admin.ModelAdmin):
    """Read only but for the correction form: figures come from crossings and zone counts."""

    list_display = ["scope", label_shown, "current", "entries", "exits", "period_start", "updated_at", "correct_link"]
    list_filter = ["label"]
    fields = ["camera", "area", "zone", "label", "current", "entries", "exits", "period_start", "updated_at"]
    readonly_fields = fields
    inlines = [CorrectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("camera", "area", "zone__camera")

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.correct_view)
        return [path("<path:object_id>/correct/", view, name="flow_occupancy_correct"), *super().get_urls()]

    @admin.display(description=_("scope"))
    def scope(self, occupancy: Occupancy) -> str:
        kind = gettext("camera") if occupancy.camera_id else gettext("area") if occupancy.area_id else gettext("zone")
        return f"{kind}: {occupancy.scope_name}"

    @admin.display(description="")
    def correct_link(self, occupancy: Occupancy) -> str:
        url = reverse("admin:flow_occupancy_correct", args=[occupancy.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Correct"))

    def correct_view(self, request, object_id):
        """An operator sets the count now (people counted by hand); the change is kept with who and why."""
        occupancy = self.get_object(request, unquote(object_id))
        if occupancy is None:
            raise Http404(gettext("No such occupancy."))
        if not self.has_change_permission(request, occupancy):
            raise PermissionDenied
        form = CorrectionForm(request.POST or None, initial={"value": occupancy.current})
        if request.method == "POST" and form.is_valid():
            occupancy_correct(occupancy=occupancy, value=form.cleaned_data["value"], user=request.user,
                              note=form.cleaned_data["note"])  # fmt: skip
            said = gettext("%(scope)s: %(label)s set to %(value)s.") % {
                "scope": occupancy.scope_name,
                "label": occupancy.label,
                "value": occupancy.current,
            }
            self.message_user(request, said, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:flow_occupancy_change", args=[occupancy.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": occupancy,
            "title": gettext("Correct the occupancy of %(scope)s") % {"scope": occupancy.scope_name},
            "form": form,
        }
        return TemplateResponse(request, "admin/flow/occupancy/correct.html", context)
