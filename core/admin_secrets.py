"""Admin pages that never show a secret and never filter or search on one, for every ModelAdmin.

A read-only page (a Viewer's, an Operator's) draws every field as text, the camera's password and a
webhook's signing secret included; a list filter such as ``?password__startswith=CAM`` lists a row
or not, and so guesses a secret a character at a time. The fields :mod:`core.secret_fields` names
are drawn here as a mask (a URL through :func:`core.redact.mask_url`) wherever they would be shown
read only or listed, and every lookup or search reaching one is refused. Editable forms keep their
own write-only widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core import redact
from core.secret_fields import is_credential_url_field, is_sensitive_field, lookup_touches_secret


@cache
def _shown(model: type[models.Model], name: str) -> Callable[[models.Model], str]:
    """What a page shows for ``model``'s sensitive field ``name``: the URL masked, a secret as ``***``."""
    field = model._meta.get_field(name)
    if is_credential_url_field(field):

        def shown(obj: models.Model) -> str:
            return redact.mask_url(getattr(obj, name) or "")
    else:

        def shown(obj: models.Model) -> str:
            return redact.MASK if getattr(obj, name) else ""

    shown.short_description = field.verbose_name  # type: ignore[attr-defined]
    shown.__name__ = f"shown_{name}"
    return shown


def _masked(model: type[models.Model], names, only=None) -> list:
    """``names`` with each sensitive model field (of those in ``only``, if given) replaced by its mask."""
    out = []
    for name in names:
        if isinstance(name, (list, tuple)):  # fields drawn on one line
            name = tuple(_masked(model, name, only))
        elif isinstance(name, str) and (only is None or name in only):
            try:
                if is_sensitive_field(model._meta.get_field(name)):
                    name = _shown(model, name)
            except FieldDoesNotExist:
                pass  # an admin method or a form-only field
        out.append(name)
    return out


class SecretFieldsAdminMixin:
    """Secrets drawn as masks wherever they would be read, and no lookup or search on them."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # Refused: the list answers Django's "invalid filter" (400), whether the guess is right or not.
        if lookup_touches_secret(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if not lookup_touches_secret(self.model, f.lstrip("^=@"))]

    def get_list_display(self, request):
        return _masked(self.model, super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return _masked(self.model, super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # A page without change permission draws every field as text; otherwise only the read-only ones.
        only = None
        if obj is None or self.has_change_permission(request, obj):
            only = set(super().get_readonly_fields(request, obj))
        return [
            (title, {**options, "fields": _masked(self.model, options["fields"], only)}) for title, options in fieldsets
        ]
