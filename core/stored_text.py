"""Texts Vigil itself writes into the database (a system event's title, its own notes in a history), kept as a
message key and parameters beside the English text, so that each reader gets them in their own language.

The English text stays in the model's own field (the CSV exports, the search, outgoing notifications and
any API consumer that stored it read that); ``texts`` (a JSON field on the model) holds
``{field: {"key": ..., "params": {...}}}``, and whatever shows the field to a person calls ``shown``. A
parameter may itself be a stored text (a note quoted in another), rendered in the same language.

A key is never renamed or removed once released: old rows name it (an unknown key shows the English).
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class StoredText(TypedDict):
    key: str
    params: dict[str, Any]


MESSAGES = {
    "camera_offline.title": _("Camera offline: %(camera)s"),
    "camera_offline.actions": _("Check the camera's power and network link; see its last error."),
    "camera_back": _("The camera sends frames again."),
    "camera_frozen.title": _("Picture frozen: %(camera)s"),
    "camera_frozen.actions": _(
        "Look at the camera's live picture; restart it or its encoder, and check nothing was put in front of it."
    ),
    "camera_moving": _("The camera's picture moves again."),
    "resolved_by_vigil": _("Resolved by Vigil: %(note)s"),
    "rule_snoozed": _("Snoozed “%(rule)s” on “%(camera)s” for %(minutes)s min, until %(until)s: %(note)s"),
    "snooze_ended_early": _("Snooze of “%(rule)s” on “%(camera)s” ended early"),
    "rule_tuned": _("Rule “%(rule)s” tuned: %(changes)s"),
}


def stored(key: str, **params: Any) -> StoredText:
    """A text to store: ``key`` (one of ``MESSAGES``) and its parameters (JSON values or stored texts)."""
    if key not in MESSAGES:
        raise KeyError(f"{key!r} is not in core.stored_text.MESSAGES")
    return {"key": key, "params": params}


def is_stored(value: Any) -> bool:
    return isinstance(value, dict) and value.get("key") in MESSAGES and isinstance(value.get("params"), dict)


def render(text: StoredText | str) -> str:
    """``text`` in the active language (a plain string is returned as it is)."""
    if not is_stored(text):
        return str(text)
    params = {name: render(value) if is_stored(value) else value for name, value in text["params"].items()}
    return str(MESSAGES[text["key"]]) % params


def english(text: StoredText | str) -> str:
    """What the model's own field stores: the English text."""
    with translation.override("en"):
        return render(text)


def shown(obj: Any, field: str) -> str:
    """``obj.<field>`` as a reader should see it: its stored text in the active language, else the field."""
    text = (getattr(obj, "texts", None) or {}).get(field)
    return render(text) if is_stored(text) else getattr(obj, field)


def shown_all(texts: dict[str, Any] | None) -> dict[str, str]:
    """Every stored text of ``texts`` rendered in the active language, by field (for a payload built earlier)."""
    return {field: render(text) for field, text in (texts or {}).items() if is_stored(text)}


def in_installation_language(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with their lazy texts written in the installation's language (``settings.LANGUAGE_CODE``),
    for data Vigil seeds once and people then own (the demo's rules and cameras)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {name: str(value) if isinstance(value, Promise) else value for name, value in values.items()}
