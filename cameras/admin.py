from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cameras.forms import CameraAdminForm
from cameras.models import Camera, Still
from cameras.services import camera_capture_request, camera_push_token_rotate, camera_test_connection
from core import redact
from core.badges import CAMERA_STATUS_COLOURS, field_badge
from core.maps import tiles_context


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
        "status", "last_frame_at", "capture_due_at", "next_capture_at", "last_error", "consecutive_failures",
        "last_latency_ms", "frame_width", "frame_height", "detection_error", "created_at", "updated_at",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "enabled"]}),
        (_("Place"), {"fields": ["latitude", "longitude", "address", "heading", "district", "tags"]}),
        (_("Source"), {"fields": ["source_url", "username", "password", "clear_password", "rtsp_transport"]}),
        (_("Capture"), {"fields": ["capture_mode", "capture_interval"]}),
        (_("Recording"), {"fields": ["recording", "recording_retention_days"]}),
        (_("Detection"), {"fields": ["detect", "detection_model", "motion_gate", "motion_threshold"]}),
        (
            _("Tracking (stream cameras and counting lines)"),
            {
                "classes": ["collapse"],
                "fields": [
                    "track_region",
                    "tracker",
                    "track_confidence",
                    "track_high_thresh",
                    "track_low_thresh",
                    "new_track_thresh",
                    "track_buffer",
                    "match_thresh",
                ],
            },
        ),
        (_("Health"), {"fields": readonly_fields}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets  # the form shows the URL masked and takes the mask back (CameraAdminForm)
        # A Viewer's page shows each field as text: the URL as shown everywhere, never its credentials.
        return [
            (name, {**options, "fields": ["shown_source_url" if f == "source_url" else f for f in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description=_("source URL"))
    def shown_source_url(self, camera: Camera) -> str:
        return redact.mask_url(camera.source_url)

    @admin.display(description=_("status"), ordering="status")
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

    def has_capture_permission(self, request) -> bool:
        return request.user.has_perm("cameras.capture_camera")

    def has_issue_push_token_permission(self, request) -> bool:
        return request.user.has_perm("cameras.issue_push_token")

    @admin.action(description=_("Test connection (grab one frame now)"), permissions=["capture"])
    def test_connection(self, request, queryset) -> None:
        for camera in queryset:
            ok, message = camera_test_connection(camera=camera)
            said = gettext("%(camera)s: %(outcome)s") % {"camera": camera.name, "outcome": message}
            self.message_user(request, said, messages.SUCCESS if ok else messages.ERROR)

    @admin.action(description=_("Capture now"), permissions=["capture"])
    def capture_now(self, request, queryset) -> None:
        cameras = list(queryset.filter(enabled=True).values_list("pk", flat=True))
        queued = camera_capture_request(camera_ids=cameras)
        if queued < len(cameras):
            refused = gettext(
                "Capture could not be queued for %(count)d camera(s): the task queue is unavailable; try again shortly."
            ) % {"count": len(cameras) - queued}
            self.message_user(request, refused, messages.ERROR)
        if queued:
            self.message_user(request, gettext("Capture requested for %(count)d camera(s).") % {"count": queued})

    @admin.action(description=_("Issue a new push token (edge devices)"), permissions=["issue_push_token"])
    def rotate_push_token(self, request, queryset) -> TemplateResponse:
        """The tokens are shown on this response only: a message would carry them in the (readable) cookie."""
        issued = [(camera, camera_push_token_rotate(camera=camera)) for camera in queryset]
        context = {**self.admin_site.each_context(request), "opts": self.opts, "issued": issued,
                   "title": gettext("New push tokens")}  # fmt: skip
        return TemplateResponse(request, "admin/cameras/camera/push_tokens.html", context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = {**tiles_context(), **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra)


@admin.register(Still)
class StillAdmin(admin.ModelAdmin):
    """The frames snapshot cameras kept for their timelapses, read only as the recorded segments are: the frame
    service writes them and retention deletes them (with their files), so nobody adds, changes or deletes one
    here (a row deleted here would leave its file behind, or an uncut clip without its frames)."""

    list_display = ["camera", "captured_at", "size"]
    list_filter = ["camera"]
    list_select_related = ["camera"]
    date_hierarchy = "captured_at"
    ordering = ["camera", "-captured_at"]
    fields = ["camera", "captured_at", "size", "file"]
    readonly_fields = fields
    show_full_result_count = False  # a 1 s camera keeps 86,400 a day

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
