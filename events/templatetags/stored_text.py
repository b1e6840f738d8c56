"""``{{ event|shown:"title" }}``: a text Vigil wrote, in the reader's language (``core.stored_text``)."""

from __future__ import annotations

from django import template

from core import stored_text

register = template.Library()


@register.filter
def shown(obj, field: str) -> str:
    return stored_text.shown(obj, field)
