"""Form fields shared by the apps' admin forms."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext


class NamesWidget(forms.TextInput):
    """A one-line box for a list of names, with the names Vigil knows offered as the browser's suggestions."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"size": 60, "autocomplete": "off", **(attrs or {})})
        self.suggestions: list[str] = []

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.suggestions:
            context["widget"]["attrs"]["list"] = f"{context['widget']['attrs'].get('id', name)}-known"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.suggestions:
            return html
        from django.utils.html import format_html, format_html_join

        options = format_html_join("", '<option value="{}">', ((s,) for s in self.suggestions))
        return format_html('{}<datalist id="{}-known">{}</datalist>', html, (attrs or {}).get("id", name), options)


class NamesFormField(forms.JSONField):
    """A list of names typed as words separated by commas (``person, person_down``), not as JSON; JSON
    (``["person"]``) is still read, for API users and old bookmarks. What the names may be is the model
    field's validator's to say (``core.bounds.validate_names``)."""

    widget = NamesWidget

    def __init__(self, *args, suggestions: list[str] | None = None, **kwargs) -> None:
        kwargs.setdefault("widget", NamesWidget)
        super().__init__(*args, **kwargs)
        self.suggestions = suggestions or []

    @property
    def suggestions(self) -> list[str]:
        return self.widget.suggestions

    @suggestions.setter
    def suggestions(self, names: list[str]) -> None:
        self.widget.suggestions = list(names)
        if names:
            known = gettext("Known: %(names)s.") % {"names": ", ".join(names[:40])}
            self.help_text = f"{self.help_text} {known}" if self.help_text else known

    def to_python(self, value):
        if isinstance(value, str) and not value.lstrip().startswith("["):
            names = []
            for part in re.split(r"[,\n]", value):
                part = part.strip()
                if part and part not in names:
                    names.append(part)
            return names
        return super().to_python(value)

    def bound_data(self, data, initial):
        if isinstance(data, str) and not data.lstrip().startswith("["):
            return self.to_python(data)
        return super().bound_data(data, initial)

    def prepare_value(self, value):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ", ".join(value)
        return super().prepare_value(value)
