from django.contrib import admin
from django.utils.html import format_html

from detection.models import CountMinute, CountSample, DetectionModel


@admin.register(DetectionModel)
class DetectionModelAdmin(admin.ModelAdmin):
    list_display = ["name", "weights_shown", "device", "image_size", "confidence", "is_default", "state"]
    list_filter = ["is_default", "device"]
    search_fields = ["name", "weights"]
    readonly_fields = ["classes", "last_error", "loaded_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "is_default"]}),
        ("Weights", {"fields": ["weights", "weights_file"]}),
        ("Inference", {"fields": ["device", "image_size", "confidence", "iou", "half"]}),
        ("Labels", {"fields": ["label_map", "keep_labels", "classes"]}),
        ("State", {"fields": ["last_error", "loaded_at", "created_at", "updated_at"]}),
    ]

    @admin.display(description="weights")
    def weights_shown(self, model: DetectionModel) -> str:
        return model.weights_file.name if model.weights_file else model.weights

    @admin.display(description="state")
    def state(self, model: DetectionModel) -> str:
        if model.last_error:
            return format_html('<span style="color:#cf222e">{}</span>', model.last_error)
        return f"loaded {model.loaded_at:%Y-%m-%d %H:%M}" if model.loaded_at else "not loaded yet"


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
