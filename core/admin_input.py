"""Admin form input read so that no posted value reaches a query or a parser it can crash.

A key typed into a choice field (``camera=9999999999999999999999999``) or a selected row of a
list action went straight into ``queryset.filter(pk=...)``: beyond 64 bits SQLite raises
OverflowError (a 500). JSON nested a few thousand deep makes ``json.loads`` raise RecursionError,
which no form expected. Here keys are read with :func:`core.query_params.parse_integer` first,
and every JSON form field turns too-deep input into a field error.
:class:`vigilsite.admin_query.SafeQueryAdminMixin` applies both to every ModelAdmin on the site.
"""

from __future__ import annotations

import copy
import json
from functools import cache

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, gettext_lazy

from core.query_params import BadParameter, parse_integer

TOO_DEEP = gettext_lazy("This JSON is nested too deeply.")


def integer_key(model: type[models.Model], to_field_name: str | None = None) -> bool:
    """Whether the column a choice is looked up by holds integers."""
    field = model._meta.pk if to_field_name in (None, "pk") else model._meta.get_field(to_field_name)
    field = getattr(field, "target_field", field)  # a one-to-one primary key points at its parent's
    return isinstance(field, models.IntegerField | models.AutoField)


def bad_integer(value: object) -> bool:
    """True unless ``value`` is a whole number of ASCII digits within 64 bits."""
    try:
        parse_integer("value", str(value))
    except BadParameter:
        return True
    return False


class SafeJSONFormField(forms.JSONField):
    """Django's JSON form field; input nested too deeply for the parser is a field error, not a 500, and an
    emptied optional box is the column's default (``[]``), not NULL for a column that refuses it."""

    empty_default = None  # set by harden_form from the model field: a callable giving its default

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(TOO_DEEP, code="invalid") from None
        if result is None and self.empty_default is not None:
            return self.empty_default()
        return result

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # the form is drawn again with what was typed
            return forms.fields.InvalidJSONInput(data)


def json_loads(text: str):
    """``json.loads`` raising ValueError (as for any malformed JSON) where the nesting is too deep."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


class _SafeChoiceMixin:
    """Keys checked as bounded integers before the field looks them up."""

    def to_python(self, value):
        if (
            value not in self.empty_values
            and integer_key(self.queryset.model, self.to_field_name)
            and bad_integer(value)
        ):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def bound_data(self, data, initial):
        # The form drawn again shows what was typed; an autocomplete widget looks it up to draw it.
        data = super().bound_data(data, initial)
        if not integer_key(self.queryset.model, self.to_field_name):
            return data
        if isinstance(data, list | tuple):
            return [key for key in data if key in self.empty_values or not bad_integer(key)]
        return None if data not in self.empty_values and bad_integer(data) else data

    def _check_values(self, value):
        if integer_key(self.queryset.model, self.to_field_name):
            for key in value:
                if bad_integer(key):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": key}
                    )
        return super()._check_values(value)


@cache
def _safe_class(mixin: type, base: type[forms.Field]) -> type[forms.Field]:
    return type(f"Safe{base.__name__}", (mixin, base), {"__module__": __name__})


def harden_field(field: forms.Field) -> forms.Field:
    """A copy of ``field`` that cannot be crashed by its input (or ``field`` itself when it is safe)."""
    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, _SafeChoiceMixin):
        field = copy.deepcopy(field)
        field.__class__ = _safe_class(_SafeChoiceMixin, type(field))
    elif isinstance(field, forms.JSONField) and not isinstance(field, SafeJSONFormField):
        field = copy.deepcopy(field)
        field.__class__ = _safe_class(SafeJSONFormField, type(field))
    return field


def harden_form(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """Swap the choice and JSON fields of a form class just built for one request (admins build one each time).

    The declared fields of a form are shared by every class built from it, so they are replaced by
    hardened copies in this class's own ``base_fields``, never changed in place.
    """
    model = getattr(getattr(form_class, "_meta", None), "model", None)
    for name, field in list(form_class.base_fields.items()):
        field = form_class.base_fields[name] = harden_field(field)
        if isinstance(field, SafeJSONFormField) and model is not None:
            column = next((f for f in model._meta.concrete_fields if f.name == name), None)
            if column is not None and not column.null and column.has_default():
                field.empty_default = column.get_default
    return form_class


def bad_selected_keys(model: type[models.Model], keys: list[str]) -> list[str]:
    """The selected row keys of a list action that cannot be looked up (beyond 64 bits, not digits)."""
    if not integer_key(model):
        return [key for key in keys if "\x00" in key]
    return [key for key in keys if bad_integer(key)]


class SafeInputAdminMixin:
    """A ModelAdmin whose forms (add, change, inlines, list editing) and list actions refuse bad keys and deep JSON."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        return harden_form(super().get_form(request, obj, change=change, **kwargs))

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)
        harden_form(formset.form)
        return formset

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            harden_form(formset.form)
            yield formset, inline

    def response_action(self, request, queryset):
        # Django filters ``pk__in=<the selected values>`` unchecked; the action's query then fails.
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if bad_selected_keys(self.model, selected):
            said = gettext("No action was run: the selected rows were not given by their ids.")
            self.message_user(request, said, messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        # Django runs the action on an empty queryset when no selected id names a row (one deleted
        # meanwhile, a forged id); actions that take "the first row" failed on it.
        if request.POST.get("select_across") != "1" and not queryset.filter(pk__in=selected).exists():
            said = gettext("No action was run: none of the selected rows exists any more.")
            self.message_user(request, said, messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)
