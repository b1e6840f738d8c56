"""One attempt to hand a message over: SMTP through Django's email backend, or an HTTP POST.

Each returns what happened (ok, reply code, error) and never raises for a refused delivery:
the caller records every attempt and decides about retrying.
"""

from __future__ import annotations

import json
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

import requests
from django.conf import settings
from django.core.mail import get_connection

from core import outbound, redact
from notifications import messages, signing
from notifications.models import Notification, NotificationChannel

USER_AGENT = "Vigil-Notifications/1"


@dataclass(frozen=True)
class SendResult:
    ok: bool
    code: int | None = None
    error: str = ""


def send(notification: Notification, *, attempt: int, now: datetime) -> SendResult:
    """Send ``notification`` once over its channel."""
    if notification.channel.kind == NotificationChannel.Kind.EMAIL:
        return email_send(notification, attempt=attempt)
    return webhook_send(notification, attempt=attempt, now=now)


def email_send(notification: Notification, *, attempt: int) -> SendResult:
    message = messages.email_message(notification, attempt=attempt)
    try:
        connection = get_connection(fail_silently=False, timeout=settings.NOTIFY_TIMEOUT_SECONDS)
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        refused = ", ".join(f"{address}: {code} {reply.decode(errors='replace')}"
                            for address, (code, reply) in exc.recipients.items())  # fmt: skip
        return SendResult(False, codes[0] if codes else None, f"recipients refused: {refused}")
    except smtplib.SMTPResponseException as exc:
        return SendResult(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}")
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(False, None, f"SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {_describe(exc)}")
    return SendResult(True, 250)


def webhook_send(notification: Notification, *, attempt: int, now: datetime) -> SendResult:
    channel = notification.channel
    body = json.dumps(messages.webhook_payload(notification, attempt=attempt, sent_at=now)).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Vigil-Notification": str(notification.pk),
        "X-Vigil-Type": messages.TYPES[notification.reason],
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret=channel.secret, timestamp=timestamp, body=body),
    }
    try:
        # No redirects: a signed alarm is delivered where it was configured, not wherever it is sent on.
        # The checked session connects only to an address outside the blocked networks (resolved once).
        with outbound.session() as http:
            response = http.post(
                channel.url, data=body, headers=headers, timeout=settings.NOTIFY_TIMEOUT_SECONDS,
                allow_redirects=False, stream=True,
            )  # fmt: skip
            response.close()  # the reply's body is never read: it is the receiver's, not for Vigil's pages
    except outbound.BlockedAddress as exc:
        return SendResult(False, None, str(exc))
    except requests.RequestException as exc:
        return SendResult(False, None, _describe(exc))
    if 200 <= response.status_code < 300:
        return SendResult(True, response.status_code)
    return SendResult(False, response.status_code, http_reason(response.status_code))


def http_reason(code: int) -> str:
    """``HTTP 503 Service Unavailable``: the status and its standard phrase, never the receiver's words.

    A receiver's reply (or the reason phrase it chose) can hold anything, its internals or a
    metadata server's credentials; the delivery log is read by every Viewer.
    """
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    redirect = " (redirects are not followed: give the receiver's final URL)" if 300 <= code < 400 else ""
    return f"HTTP {code}" + (f" {phrase}" if phrase else "") + redirect


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(exc: BaseException) -> str:
    """A one-line reason an operator understands (no traceback, no URL credentials)."""
    if isinstance(exc, requests.Timeout | socket.timeout | TimeoutError):
        return f"no answer within {settings.NOTIFY_TIMEOUT_SECONDS:g} s"
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else exc
        reason = getattr(cause, "reason", cause)
        text = str(reason)
        if "Connection refused" in text:
            return "connection refused"
        if "Name or service not known" in text or "nodename nor servname" in text or "Failed to resolve" in text:
            return "host name not found"
        return f"connection failed: {redact.mask_text(text)[:200]}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {redact.mask_text(str(exc))[:200]}"
