"""Times as operators read them in lists: short, in the site's time zone, the date only when not today."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def short_time(moment: datetime | None, *, full: bool = False) -> str:
    """``14:05`` today, ``2 Dec 14:05`` this year, ``2 Dec 2025 14:05`` before; ``full``: to the second
    with the date and time zone (for a tooltip)."""
    if moment is None:
        return "—"
    local, today = timezone.localtime(moment), timezone.localdate()
    if full:
        return date_format(local, "Y-m-d H:i:s T")
    if local.date() == today:
        return date_format(local, "H:i")
    if local.year == today.year:
        return date_format(local, "j M H:i")
    return date_format(local, "j M Y H:i")
