from django.contrib import admin
from django.utils.html import format_html

from cameras.forms import CameraAdminForm
from cameras.models import Camera

_STATUS_COLOURS = {
    Camera.Status.ONLINE: "#1a7f37",
    Camera.Status.DEGRADED: "#bf8700",
    Camera.Status.OFFLINE: "#cf222e",
    Camera.Status.DISABLED: "#6e7781",
}


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraAdminForm
    list_display = [
        "name",
        "status_badge",
        "district",
        "capture_mode",
        "capture_interval",
        "last_frame_at",
        "last_error",
    ]
    list_filter = ["status", "enabled", "capture_mode", "district"]
    search_fields = ["name", "slug", "address", "district", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
        "status", "last_frame_at", "last_error", "consecutive_failures",
        "last_latency_ms", "frame_width", "frame_height", "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "enabled"]}),
        ("Place", {"fields": ["latitude", "longitude", "address", "heading", "district", "tags"]}),
        ("Source", {"fields": ["source_url", "username", "password", "clear_password"]}),
        ("Capture", {"fields": ["capture_mode", "capture_interval"]}),
        ("Health", {"fields": readonly_fields}),
    ]

    @admin.display(description="status", ordering="status")
    def status_badge(self, camera: Camera) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;border-radius:8px">{}</span>',
            _STATUS_COLOURS.get(camera.status, "#6e7781"),
            camera.get_status_display(),
        )
