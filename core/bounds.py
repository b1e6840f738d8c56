"""Limits every stored number and name keeps, shared by all models.

A value a later stage cannot use (an interval that overflows beat's date arithmetic, a newline
that makes an email header illegal, a title longer than its column) is refused where it enters:
the model's validators answer the API and admin forms with a field error, and a database check
constraint refuses whatever the shell or an ``update()`` writes.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

Number = int | float | Decimal

# What PostgreSQL's ``integer`` column holds: counters Vigil keeps itself stay in it on every database.
COUNTER_MAX = 2_147_483_647

# C0 and C1 control characters and the Unicode line/paragraph separators: nothing a name needs,
# and each can end a mail header line or a CSV/log line early.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
ELLIPSIS = "…"


def within(low: Number, high: Number) -> list:
    """The validators of a number field bounded to ``low``..``high``."""
    return [MinValueValidator(low), MaxValueValidator(high)]


def range_check(model: str, field: str, low: Number, high: Number) -> models.CheckConstraint:
    """The database's copy of :func:`within` (NULL passes: nullable fields stay optional)."""
    condition = models.Q(**{f"{field}__gte": low, f"{field}__lte": high}) | models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"{model}_{field}_range")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def validate_plain_text(value: str) -> None:
    """Names and titles are one line of text: no line breaks, tabs or other control characters."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            "Use a single line without line breaks, tabs or other control characters.", code="control_characters"
        )


def single_line(text: str) -> str:
    """``text`` with every control character (CR, LF, tab…) turned into a space: safe in a mail header."""
    return " ".join(_CONTROL.sub(" ", text).split())


def fit(text: str, max_length: int) -> str:
    """``text`` cut to ``max_length`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= max_length else text[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS


def clamp_rows(model: type[models.Model], bounds: dict[str, tuple[Number, Number]]) -> None:
    """Move stored values into their bounds (a data migration's step before the constraints are added)."""
    for field, (low, high) in bounds.items():
        model._default_manager.filter(**{f"{field}__lt": low}).update(**{field: low})
        model._default_manager.filter(**{f"{field}__gt": high}).update(**{field: high})
