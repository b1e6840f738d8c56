"""The object a custom admin view of one row acts on (the event page's forms, a channel's test, a model's
trial): found or 404, and changeable by the user or 403, the same way on every page."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404


def changeable_object(model_admin, request, object_id: str):
    """``model_admin``'s row ``object_id`` if the user may change it."""
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404(f"No such {model_admin.opts.verbose_name}.")
    if not model_admin.has_change_permission(request, obj):
        raise PermissionDenied
    return obj
