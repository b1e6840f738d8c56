"""Limits every stored number and name keeps, shared by all models.

A value a later stage cannot use (an interval that overflows beat's date arithmetic, a newline
that makes an email header illegal, a title longer than its column) is refused where it enters:
the model's validators answer the API and admin forms with a field error, and a database check
constraint refuses whatever the shell or an ``update()`` writes.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

Number = int | float | Decimal

# What PostgreSQL's ``integer`` column holds: counters Vigil keeps itself stay in it on every database.
COUNTER_MAX = 2_147_483_647

# C0 and C1 control characters and the Unicode line/paragraph separators: nothing a name needs,
# and each can end a mail header line or a CSV/log line early.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible characters that change how a name reads: the bidi controls (U+202E turns "gpj.exe" into
# "exe.jpg" in a title or mail subject), the byte order mark, the zero-width space and the word joiner.
# The zero-width joiner and non-joiner (U+200D, U+200C) stay: Persian and Indic names and emoji need them.
_INVISIBLE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff\u200b\u2060]")
ELLIPSIS = "…"


def within(low: Number, high: Number) -> list:
    """The validators of a number field bounded to ``low``..``high``."""
    return [MinValueValidator(low), MaxValueValidator(high)]


def range_check(model: str, field: str, low: Number, high: Number) -> models.CheckConstraint:
    """The database's copy of :func:`within` (NULL passes: nullable fields stay optional)."""
    condition = models.Q(**{f"{field}__gte": low, f"{field}__lte": high}) | models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"{model}_{field}_range")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character or an invisible bidi/zero-width one."""
    return bool(_CONTROL.search(text) or _INVISIBLE.search(text))


def _count(n: int) -> str:
    """A count as the user's language writes it, grouped: 10,000 in English, 10 000 in French."""
    return number_format(n, force_grouping=True)


def validate_plain_text(value: str) -> None:
    """Names and titles are one line of visible text: no line breaks, tabs, other control characters,
    nor invisible characters that reorder or hide what is read."""
    if not isinstance(value, str):
        return
    if _CONTROL.search(value):
        raise ValidationError(
            _("Use a single line without line breaks, tabs or other control characters."), code="control_characters"
        )
    invisible = _INVISIBLE.search(value)
    if invisible:
        raise ValidationError(
            _(
                "Remove the invisible character U+%(code)s (text direction or zero width): "
                "it changes how the name reads."
            ),
            code="invisible_characters",
            params={"code": f"{ord(invisible[0]):04X}"},
        )


def single_line(text: str) -> str:
    """``text`` with every control character (CR, LF, tab…) turned into a space: safe in a mail header."""
    return " ".join(_INVISIBLE.sub("", _CONTROL.sub(" ", text)).split())


def fit(text: str, max_length: int) -> str:
    """``text`` cut to ``max_length`` characters, with an ellipsis where it was cut."""
    return text if len(text) <= max_length else text[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS


def clamp_rows(model: type[models.Model], bounds: dict[str, tuple[Number, Number]]) -> None:
    """Move stored values into their bounds (a data migration's step before the constraints are added)."""
    for field, (low, high) in bounds.items():
        model._default_manager.filter(**{f"{field}__lt": low}).update(**{field: low})
        model._default_manager.filter(**{f"{field}__gt": high}).update(**{field: high})


# Realistic sizes of the text and JSON values people type (the API, admin and ``full_clean`` refuse more).
TEXT_MAX_LENGTH = 10_000  # a description, a note, instructions: pages of text, not a document
NAMES_MAX_ITEMS = 100  # tags, labels, districts in one list
NAME_MAX_LENGTH = 50  # one of them (Event.label's column)
LABEL_MAP_MAX_ENTRIES = 200  # model classes → labels (the largest common datasets have 80-365 classes)
POLYGON_MAX_POINTS = 100
JSON_MAX_BYTES = 512 * 1024  # what Vigil writes itself (detections, counts, classes), encoded
_AREA_MIN = 1e-6  # a millionth of the picture: a polygon smaller than this can never contain a detection


def validate_text_size(value: object) -> None:
    """A free text (description, note, recommended actions) of at most ``TEXT_MAX_LENGTH`` characters."""
    if isinstance(value, str) and len(value) > TEXT_MAX_LENGTH:
        raise ValidationError(
            _("Keep this under %(most)s characters (it has %(length)s)."),
            code="max_length",
            params={"most": _count(TEXT_MAX_LENGTH), "length": _count(len(value))},
        )


def validate_json_size(value: object) -> None:
    """Any JSON value Vigil stores is at most ``JSON_MAX_BYTES`` once encoded."""
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError(_("This is not a JSON value Vigil can store."), code="not_json") from None
    if size > JSON_MAX_BYTES:
        raise ValidationError(
            _("This value is too large (%(size)s bytes, at most %(most)s)."),
            code="too_large",
            params={"size": _count(size), "most": _count(JSON_MAX_BYTES)},
        )


def validate_names(value: object, *, what: str, example: str) -> None:
    """A list of at most ``NAMES_MAX_ITEMS`` one-line names of 1..``NAME_MAX_LENGTH`` characters."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError(
            _("Give a list of %(what)s, e.g. %(example)s."),
            code="not_a_list",
            params={"what": what, "example": example},
        )
    if len(value) > NAMES_MAX_ITEMS:
        raise ValidationError(
            _("Give at most %(most)s %(what)s (there are %(count)s)."),
            code="too_many",
            params={"most": NAMES_MAX_ITEMS, "what": what, "count": _count(len(value))},
        )
    for item in value:
        if len(item) > NAME_MAX_LENGTH:
            raise ValidationError(
                _("Each of the %(what)s is at most %(most)s characters."),
                code="max_length",
                params={"what": what, "most": NAME_MAX_LENGTH},
            )
        validate_plain_text(item)


def validate_label_map(value: object) -> None:
    """Model class → Vigil label: at most ``LABEL_MAP_MAX_ENTRIES`` pairs of one-line names."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValidationError(_("Give an object of class name → label strings."), code="not_a_map")
    if len(value) > LABEL_MAP_MAX_ENTRIES:
        raise ValidationError(
            _("Map at most %(most)s classes (there are %(count)s)."),
            code="too_many",
            params={"most": LABEL_MAP_MAX_ENTRIES, "count": _count(len(value))},
        )
    for name in (*value.keys(), *value.values()):
        if len(name) > NAME_MAX_LENGTH or has_control_characters(name):
            raise ValidationError(
                _("Class names and labels are one line of at most %(most)s characters."),
                code="max_length",
                params={"most": NAME_MAX_LENGTH},
            )


def is_fraction(value: object) -> bool:
    """A real number in 0..1 (``True`` is no coordinate, nor NaN)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def validate_point(value: object) -> None:
    """An [x, y] point in normalised picture coordinates (0..1, y down)."""
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(is_fraction(c) for c in value)):
        raise ValidationError(
            _("%(value)s is not an [x, y] point with both values between 0 and 1."), params={"value": str(value)[:60]}
        )


def polygon_area(points: list) -> float:
    """The area of a simple polygon (shoelace formula), as a fraction of the picture."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def validate_polygon(value: object) -> None:
    """3..``POLYGON_MAX_POINTS`` [x, y] points in 0..1 enclosing a non-zero area."""
    if not isinstance(value, list) or len(value) < 3:
        raise ValidationError(_("A zone needs at least three [x, y] points."))
    if len(value) > POLYGON_MAX_POINTS:
        raise ValidationError(
            _("A zone has at most %(most)s points (this one has %(count)s)."),
            params={"most": POLYGON_MAX_POINTS, "count": _count(len(value))},
        )
    for point in value:
        validate_point(point)
    if polygon_area(value) < _AREA_MIN:
        raise ValidationError(
            _("The zone's points enclose no area: spread them out (they are on one spot or one line).")
        )
