"""Words for the log-in pages: a lockout's cool-off as people say it, not as ISO 8601 ("PT15M")."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration_words(value: timedelta | None) -> str:
    """``15 minutes``, ``1 hour 30 minutes``, ``45 seconds``."""
    if not isinstance(value, timedelta):
        return ""
    seconds = max(0, round(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("%d hour", "%d hours", hours) % hours)
    if minutes:
        parts.append(ngettext("%d minute", "%d minutes", minutes) % minutes)
    if seconds and not hours:
        parts.append(ngettext("%d second", "%d seconds", seconds) % seconds)
    return " ".join(parts) or ngettext("%d second", "%d seconds", 0) % 0
