from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import outbound, redact
from core.bounds import COUNTER_MAX, range_check, validate_names, validate_plain_text, validate_text_size, within
from events.models import Severity, validate_labels

MAX_PER_MINUTE_MAX = 10_000

SEVERITY_ORDER = [value for value, _ in Severity.choices]  # info … critical


def validate_districts(value: object) -> None:
    validate_names(value, what=_("district names"), example='["Centre"]')


class NotificationChannel(models.Model):
    """Where Vigil tells people or systems about events: a mailing list or a webhook, with filters."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook (HTTP POST, JSON, HMAC-signed)")

    name = models.CharField(max_length=120, unique=True, validators=[validate_plain_text], verbose_name=_("name"))
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    recipients = models.TextField(
        blank=True,
        validators=[validate_text_size],
        help_text=_("Email: addresses, one per line or comma-separated."),
        verbose_name=_("recipients"),
    )
    url = models.CharField(
        max_length=500, blank=True, help_text=_("Webhook: the receiver's http(s) URL."), verbose_name=_("url")
    )
    secret = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Webhook: key of the HMAC-SHA256 signature (X-Vigil-Signature)."),
        verbose_name=_("secret"),
    )
    on_open = models.BooleanField(
        default=True, help_text=_("Tell this channel when an event opens."), verbose_name=_("on open")
    )
    on_escalation = models.BooleanField(
        default=False,
        help_text=_("Tell this channel when an event is still new after its rule's escalation time."),
        verbose_name=_("on escalation"),
    )
    min_severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.LOW, verbose_name=_("min severity")
    )
    labels = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_labels],
        help_text=_('Only these labels, e.g. ["person_down"]; empty: every label.'),
        verbose_name=_("labels"),
    )
    cameras = models.ManyToManyField("cameras.Camera", blank=True, related_name="+", verbose_name=_("cameras"))
    districts = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_districts],
        help_text=_('e.g. ["Centre"]. With no cameras and no districts: every camera.'),
        verbose_name=_("districts"),
    )
    active_from = models.TimeField(
        null=True, blank=True, help_text=_("Local time; empty with 'until' = always."), verbose_name=_("active from")
    )
    active_until = models.TimeField(
        null=True, blank=True, help_text=_("May be earlier than 'from' (22:00-06:00)."), verbose_name=_("active until")
    )
    max_per_minute = models.PositiveIntegerField(
        default=20,
        validators=within(0, MAX_PER_MINUTE_MAX),
        help_text=_("Messages beyond this wait for the next minute (never dropped); 0 = no limit; at most 10,000."),
        verbose_name=_("max per minute"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name"]
        constraints = [range_check("notificationchannel", "max_per_minute", 0, MAX_PER_MINUTE_MAX)]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.EMAIL:
            if not self.recipient_list:
                errors["recipients"] = "Give at least one email address."
            for address in self.recipient_list:
                try:
                    validate_email(address)
                except ValidationError:
                    errors["recipients"] = f"{address!r} is not an email address."
        if self.kind == self.Kind.WEBHOOK:
            try:
                URLValidator(schemes=["http", "https"])(self.url)
            except ValidationError:
                errors["url"] = "Give the receiver's http:// or https:// URL."
            else:
                try:
                    outbound.validate_url_host(self.url, what=_("webhook host"))
                except ValidationError as exc:
                    errors["url"] = exc.messages[0]
            if len(self.secret) < 16:
                errors["secret"] = "A webhook needs a secret of 16 characters or more (receivers check the signature)."  # noqa: S105
        if (self.active_from is None) != (self.active_until is None):
            errors["active_until"] = "Give both ends of the active hours, or neither."
        if not (self.on_open or self.on_escalation):
            errors["on_open"] = "Choose when to notify: on opening, on escalation or both."
        if errors:
            raise ValidationError(errors)

    @property
    def recipient_list(self) -> list[str]:
        return [a.strip() for a in self.recipients.replace("\n", ",").split(",") if a.strip()]

    @property
    def target(self) -> str:
        """Where messages go, for lists and logs (never the secret, nor credentials in the URL)."""
        return ", ".join(self.recipient_list) if self.kind == self.Kind.EMAIL else redact.mask_url(self.url)


class Notification(models.Model):
    """One message owed to one channel about one event (opened or escalated); at most one of each."""

    class Reason(models.TextChoices):
        OPENED = "opened", _("Event opened")
        ESCALATED = "escalated", _("Escalation")
        TEST = "test", _("Test message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed permanently")

    WAITING = (Status.PENDING, Status.RETRYING)

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("channel")
    )
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications", verbose_name=_("event"))  # fmt: skip
    reason = models.CharField(max_length=10, choices=Reason.choices, verbose_name=_("reason"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    attempts = models.PositiveIntegerField(
        default=0,
        validators=within(0, COUNTER_MAX),
        help_text=_("Attempts so far, all rounds."),
        verbose_name=_("attempts"),
    )
    round_start = models.PositiveIntegerField(
        default=0,
        validators=within(0, COUNTER_MAX),
        help_text=_("Attempts made before the current round (an administrator's retry starts a new one)."),
        verbose_name=_("round start"),
    )
    next_attempt_at = models.DateTimeField(
        help_text=_("When it may be sent (again)."), verbose_name=_("next attempt at")
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text=_("A worker is sending it until then."), verbose_name=_("claimed until")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    last_error = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("last error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The grouping guarantee: however many updates an event gets, each channel hears of it
            # opening once and of its escalation once.
            models.UniqueConstraint(
                fields=["channel", "event", "reason"],
                condition=models.Q(event__isnull=False),
                name="one_notification_per_channel_event_reason",
            ),
            range_check("notification", "attempts", 0, COUNTER_MAX),
            range_check("notification", "round_start", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        about = f"event #{self.event_id}" if self.event_id else "test"
        return f"{self.get_reason_display()} → {self.channel} ({about})"


class Delivery(models.Model):
    """One attempt to send a notification, kept whatever its outcome (the audit trail of alerts)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed, no retry left")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("channel")
    )
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="deliveries", verbose_name=_("event"))  # fmt: skip
    attempt = models.PositiveIntegerField(validators=within(1, COUNTER_MAX), verbose_name=_("attempt"))
    status = models.CharField(max_length=10, choices=Status.choices, verbose_name=_("status"))
    response_code = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=within(0, 999),
        help_text=_("HTTP status or SMTP reply code."),
        verbose_name=_("response code"),
    )
    error = models.TextField(blank=True, validators=[validate_text_size], verbose_name=_("error"))
    duration_ms = models.PositiveIntegerField(
        default=0, validators=within(0, COUNTER_MAX), verbose_name=_("duration ms")
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, help_text=_("When the attempt was made."), verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("delivery")
        ordering = ["created_at", "pk"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "attempt"], name="one_delivery_per_attempt"),
            range_check("delivery", "attempt", 1, COUNTER_MAX),
            range_check("delivery", "response_code", 0, 999),
            range_check("delivery", "duration_ms", 0, COUNTER_MAX),
        ]
        indexes = [models.Index(fields=["channel", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.notification} attempt {self.attempt}: {self.get_status_display()}"
