from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Messages to people and other systems (e-mail, webhooks) when events open or are not handled in time."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from events.signals import event_opened
        from notifications.receivers import event_opened_notify

        # Synchronous, inside the event's transaction: the notification rows commit or roll back with it.
        event_opened.connect(event_opened_notify, dispatch_uid="notifications-event-opened")
