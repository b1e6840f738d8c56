"""Notification channels, the notifications owed and every delivery attempt, in the admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import redact
from core.admin_objects import changeable_object
from core.badges import badge, field_badge
from core.stored_text import shown
from events.admin import EventAdmin
from notifications.admin_forms import NotificationChannelForm
from notifications.models import Delivery, Notification, NotificationChannel
from notifications.services import channel_test_send, notification_retry

NOTIFICATION_STATUS_COLOURS = {
    "pending": "#0969da",
    "sending": "#0969da",
    "retrying": "#bf8700",
    "sent": "#1a7f37",
    "failed": "#cf222e",
}
DELIVERY_STATUS_COLOURS = {"sent": "#1a7f37", "retry": "#bf8700", "failed": "#cf222e"}


def masked_url(url: str) -> str:
    """A webhook URL without its password or credential parameters (receivers often put a token there)."""
    return redact.mask_url(url)


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = NotificationChannelForm
    list_display = ["name", "kind", "enabled", "where", "when", "min_severity", "sent_count", "failed"]
    list_filter = ["kind", "enabled", "on_open", "on_escalation"]
    search_fields = ["name", "recipients"]  # never url: it may carry a token
    filter_horizontal = ["cameras"]
    actions = ["send_test", "enable", "disable"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled"]}),
        (_("Send to"), {"fields": ["recipients", "url", "secret"]}),
        (_("Which events"), {"fields": ["on_open", "on_escalation", "min_severity", "labels"]}),
        (_("Which cameras"), {"fields": ["cameras", "districts"]}),
        (_("When"), {"fields": ["active_from", "active_until"]}),
        (_("Limits"), {"fields": ["max_per_minute"]}),
    ]

    def get_queryset(self, request):
        sent = Q(notifications__sent_at__isnull=False)
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent=Count("notifications", filter=sent, distinct=True),
                failed_count=Count("notifications", filter=Q(notifications__status="failed"), distinct=True),
            )
        )

    @admin.display(description=_("send to"))
    def where(self, channel: NotificationChannel) -> str:
        return channel.target if channel.kind == NotificationChannel.Kind.EMAIL else masked_url(channel.url)

    @admin.display(description=_("on"))
    def when(self, channel: NotificationChannel) -> str:
        return " + ".join(x for x, on in [("opening", channel.on_open), ("escalation", channel.on_escalation)] if on)

    @admin.display(description=_("sent"), ordering="sent")
    def sent_count(self, channel: NotificationChannel) -> int:
        return channel.sent

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed(self, channel: NotificationChannel) -> str:
        if not channel.failed_count:
            return "0"
        url = reverse("admin:notifications_notification_changelist")
        return format_html(
            '<a href="{}?channel__id__exact={}&status__exact=failed">{}</a>',
            url, channel.pk, badge(str(channel.failed_count), NOTIFICATION_STATUS_COLOURS["failed"]),
        )  # fmt: skip

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        request.generated_webhook_secret = form.generated_secret  # for the response below, nowhere else

    def _secret_page(self, request, obj) -> TemplateResponse | None:
        """A secret Vigil generated is shown on this response only: a message would carry it in the
        messages cookie, which is signed, not encrypted."""
        secret = getattr(request, "generated_webhook_secret", "")
        if not secret:
            return None
        context = {**self.admin_site.each_context(request), "opts": self.opts, "channel": obj, "secret": secret,
                   "title": gettext("Webhook secret of %(channel)s") % {"channel": obj.name}}  # fmt: skip
        return TemplateResponse(request, "admin/notifications/notificationchannel/secret.html", context)

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._secret_page(request, obj) or super().response_change(request, obj)

    @admin.action(description=_("Send a test message to the selected channels"), permissions=["change"])
    def send_test(self, request, queryset) -> None:
        for channel in queryset:
            self._test_send(request, channel)

    def _test_send(self, request, channel: NotificationChannel) -> None:
        delivery = channel_test_send(channel=channel)
        code = f" ({delivery.response_code})" if delivery.response_code else ""
        if delivery.status == Delivery.Status.SENT:
            said = gettext("Test to “%(channel)s”: delivered%(code)s.") % {"channel": channel.name, "code": code}
            self.message_user(request, said, messages.SUCCESS)
        else:
            said = gettext("Test to “%(channel)s” failed%(code)s: %(error)s") % {
                "channel": channel.name,
                "code": code,
                "error": delivery.error,
            }
            self.message_user(request, said, messages.ERROR)

    def get_urls(self):
        view = self.admin_site.admin_view(self.send_test_view)
        return [path("<path:object_id>/send-test/", view, name="notifications_notificationchannel_test"),
                *super().get_urls()]  # fmt: skip

    def send_test_view(self, request, object_id):
        """*Send test* from the channel's own page, as the list's action does it."""
        channel = changeable_object(self, request, object_id)
        if request.method != "POST":  # after the permission: a refused role learns nothing more
            return HttpResponseNotAllowed(["POST"])
        self._test_send(request, channel)
        return HttpResponseRedirect(reverse("admin:notifications_notificationchannel_change", args=[channel.pk]))

    @admin.action(description=_("Enable the selected channels"), permissions=["change"])
    def enable(self, request, queryset) -> None:
        said = gettext("Enabled %(count)d channel(s).") % {"count": queryset.update(enabled=True)}
        self.message_user(request, said, messages.SUCCESS)

    @admin.action(description=_("Disable the selected channels"), permissions=["change"])
    def disable(self, request, queryset) -> None:
        said = gettext("Disabled %(count)d channel(s).") % {"count": queryset.update(enabled=False)}
        self.message_user(request, said, messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    """Every attempt, as it happened; written by the sending service only."""

    model = Delivery
    fields = ["created_at", "channel", "attempt", "status_badge", "response_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("delivery attempts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")

    @admin.display(description=_("status"))
    def status_badge(self, delivery: Delivery) -> str:
        return field_badge(delivery, "status", DELIVERY_STATUS_COLOURS)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EventDeliveryInline(DeliveryInline):
    """The event page's list of who was told, when, and whether it reached them."""

    fields = ["created_at", "channel", "reason", "attempt", "status_badge", "response_code", "error"]
    readonly_fields = fields
    verbose_name_plural = _("notifications sent")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("notification")

    @admin.display(description=_("about"))
    def reason(self, delivery: Delivery) -> str:
        return delivery.notification.get_reason_display()


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "event_link", "reason", "status_badge", "attempts", "last_error"]
    list_filter = ["status", "reason", "channel"]
    list_select_related = ["channel", "event"]
    search_fields = ["channel__name", "event__title", "last_error"]
    fields = ["channel", "event", "reason", "status", "attempts", "next_attempt_at", "sent_at", "last_error",
              "created_at"]  # fmt: skip
    readonly_fields = fields
    inlines = [DeliveryInline]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False  # owed by events, or made by "send test"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context |= {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("event"))
    def event_link(self, notification: Notification) -> str:
        if notification.event_id is None:
            return "—"
        url = reverse("admin:events_event_change", args=[notification.event_id])
        return format_html('<a href="{}">#{} {}</a>', url, notification.event_id, shown(notification.event, "title"))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, notification: Notification) -> str:
        return field_badge(notification, "status", NOTIFICATION_STATUS_COLOURS)

    @admin.action(description=_("Retry the selected failed notifications"), permissions=["change"])
    def retry(self, request, queryset) -> None:
        retried = sum(notification_retry(notification=n) for n in queryset)
        skipped = queryset.count() - retried
        said = gettext("Queued %(count)d notification(s) for a new round of attempts.") % {"count": retried}
        self.message_user(request, said, messages.SUCCESS)
        if skipped:
            said = gettext("%(count)d were not failed and were left alone.") % {"count": skipped}
            self.message_user(request, said, messages.WARNING)


# The event page lists who was told, below its history: notifications hang off events, so they add their
# inline to the events' page rather than the events' admin importing notifications.
EventAdmin.inlines = [*EventAdmin.inlines, EventDeliveryInline]
