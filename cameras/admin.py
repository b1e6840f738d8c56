from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from cameras.forms import CameraAdminForm
from cameras.models import Camera
from cameras.services import camera_push_token_rotate, camera_test_connection
from cameras.tasks import capture_camera
from vigilsite.badges import CAMERA_STATUS_COLOURS, field_badge
from vigilsite.maps import tiles_context


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraAdminForm
    change_form_template = "admin/cameras/camera/change_form.html"
    list_display = [
        "thumbnail", "name", "status_badge", "district", "capture_mode", "capture_interval",
        "last_frame_at", "last_error",
    ]  # fmt: skip
    list_display_links = ["thumbnail", "name"]
    list_filter = ["status", "enabled", "capture_mode", "district"]
    search_fields = ["name", "slug", "address", "district", "description"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["test_connection", "capture_now", "rotate_push_token"]
    readonly_fields = [
        "status", "last_frame_at", "last_error", "consecutive_failures",
        "last_latency_ms", "frame_width", "frame_height", "detection_error", "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "enabled"]}),
        ("Place", {"fields": ["latitude", "longitude", "address", "heading", "district", "tags"]}),
        ("Source", {"fields": ["source_url", "username", "password", "clear_password", "rtsp_transport"]}),
        ("Capture", {"fields": ["capture_mode", "capture_interval"]}),
        ("Detection", {"fields": ["detect", "detection_model", "motion_gate", "motion_threshold"]}),
        ("Health", {"fields": readonly_fields}),
    ]

    @admin.display(description="status", ordering="status")
    def status_badge(self, camera: Camera) -> str:
        return field_badge(camera, "status", CAMERA_STATUS_COLOURS)

    @admin.display(description="")
    def thumbnail(self, camera: Camera) -> str:
        if camera.last_frame_at is None:
            return "—"
        url = reverse("camera-latest-frame", args=[camera.slug])
        return format_html(
            '<img src="{}?t={}" alt="" style="height:48px;border-radius:4px">', url, camera.updated_at.timestamp()
        )

    @admin.action(description="Test connection (grab one frame now)")
    def test_connection(self, request, queryset) -> None:
        for camera in queryset:
            ok, message = camera_test_connection(camera=camera)
            self.message_user(request, f"{camera.name}: {message}", messages.SUCCESS if ok else messages.ERROR)

    @admin.action(description="Capture now")
    def capture_now(self, request, queryset) -> None:
        cameras = list(queryset.filter(enabled=True))
        for camera in cameras:
            capture_camera.delay_on_commit(camera.pk, force=True)
        self.message_user(request, f"Capture requested for {len(cameras)} camera(s).")

    @admin.action(description="Issue a new push token (edge devices)")
    def rotate_push_token(self, request, queryset) -> None:
        for camera in queryset:
            token = camera_push_token_rotate(camera=camera)
            self.message_user(
                request,
                f"{camera.name}: new push token {token} — shown only now; the previous token no longer works.",
                messages.WARNING,
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = {**tiles_context(), **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra)
