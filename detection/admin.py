import base64
import json
import logging

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_objects import changeable_object
from detection.admin_forms import ModelTryForm
from detection.detector import WeightsUnavailable
from detection.models import CountMinute, CountSample, DetectionModel
from detection.trial import model_try

logger = logging.getLogger(__name__)
WEIGHTS_PERMISSION = "detection.manage_model_weights"


@admin.register(DetectionModel)
class DetectionModelAdmin(admin.ModelAdmin):
    list_display = ["name", "weights_shown", "device", "backend", "image_size", "confidence", "is_default", "state"]
    list_filter = ["is_default", "device", "backend"]
    search_fields = ["name", "weights"]
    readonly_fields = [
        "weights_sha256", "classes", "last_error", "backend_status", "loaded_at", "created_at", "updated_at"
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "is_default"]}),
        (_("Weights"), {"fields": ["weights", "weights_file", "weights_sha256"]}),
        (_("Inference"), {"fields": ["device", "backend", "precision", "image_size", "confidence", "iou"]}),
        (_("Labels"), {"fields": ["label_map", "keep_labels", "classes"]}),
        (_("State"), {"fields": ["last_error", "backend_status", "loaded_at", "created_at", "updated_at"]}),
    ]
    actions = ["try_on_sample"]

    # -- weights are code: naming or uploading them is for the holders of manage_model_weights -------

    def has_manage_weights_permission(self, request) -> bool:
        return request.user.has_perm(WEIGHTS_PERMISSION)

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and self.has_manage_weights_permission(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_manage_weights_permission(request):
            fields[:0] = ["weights", "weights_file"]  # not in the form: a posted value is ignored
        return fields

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if not {"weights", "weights_file"} & set(form.changed_data):
            return message
        model = form.instance
        said = LogEntry(change_message=json.dumps(message)).get_change_message()
        given = (
            f"uploaded {model.weights_file.name}, SHA-256 {model.weights_sha256}"
            if model.weights_file
            else (f"named {model.weights!r}")
        )
        logger.warning("Detection model %s (#%s): weights %s by %s", model.name, model.pk, given, request.user)
        return f"{said} Weights {given}.".strip()

    def get_urls(self):
        view = self.admin_site.admin_view(self.try_view)
        return [path("<path:object_id>/try/", view, name="detection_detectionmodel_try"), *super().get_urls()]

    @admin.action(description=_("Test on a sample image"), permissions=["change"])
    def try_on_sample(self, request, queryset):
        model = queryset.first()
        if queryset.count() > 1:
            said = gettext("One model at a time: testing %(model)s.") % {"model": model.name}
            self.message_user(request, said, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:detection_detectionmodel_try", args=[model.pk]))

    def try_view(self, request, object_id):
        """Run the model on a sample or uploaded picture and show what it found, boxes drawn."""
        model = changeable_object(self, request, object_id)
        form = ModelTryForm(request.POST, request.FILES) if request.method == "POST" else ModelTryForm()
        trial = error = None
        if request.method == "POST" and form.is_valid():
            try:
                trial = model_try(model=model, frame=form.frame)
            except WeightsUnavailable as exc:
                error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": model,
            "title": gettext("Test %(model)s on a picture") % {"model": model.name},
            "form": form,
            "trial": trial,
            "error": error,
            "annotated": base64.b64encode(trial.annotated_jpeg).decode() if trial else "",
        }
        return TemplateResponse(request, "admin/detection/detectionmodel/try.html", context)

    @admin.display(description=_("weights"))
    def weights_shown(self, model: DetectionModel) -> str:
        return model.weights_file.name if model.weights_file else model.weights

    @admin.display(description=_("state"))
    def state(self, model: DetectionModel) -> str:
        if model.last_error:
            return format_html('<span style="color:#cf222e">{}</span>', model.last_error)
        if not model.loaded_at:
            return gettext("not loaded yet")
        return gettext("loaded %(when)s") % {"when": f"{model.loaded_at:%Y-%m-%d %H:%M}"}


class _ReadOnly(admin.ModelAdmin):
    """Counts are written by the pipeline only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CountSample)
class CountSampleAdmin(_ReadOnly):
    list_display = ["camera", "captured_at", "counts", "unchanged", "inference_ms"]
    list_filter = ["unchanged", "camera"]
    list_select_related = ["camera"]
    date_hierarchy = "captured_at"


@admin.register(CountMinute)
class CountMinuteAdmin(_ReadOnly):
    list_display = ["camera", "minute", "samples", "peaks"]
    list_filter = ["camera"]
    list_select_related = ["camera"]
    date_hierarchy = "minute"
