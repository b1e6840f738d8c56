"""The names field of the admin forms: words separated by commas in, a list out."""

from django import forms

from core.admin_input import SafeJSONFormField, harden_field
from core.forms import NamesFormField


def test_names_are_words_separated_by_commas_and_json_still_reads():
    field = NamesFormField(required=False)
    assert field.clean("entrance, night,\nnight , ") == ["entrance", "night"]
    assert field.clean('["entrance"]') == ["entrance"]
    assert field.prepare_value(["entrance", "night"]) == "entrance, night"
    assert field.has_changed(["entrance", "night"], "entrance,night") is False
    assert field.has_changed(["entrance"], "entrance, night") is True


def test_the_admins_hardening_keeps_it_a_names_field_and_refuses_deep_json():
    field = harden_field(NamesFormField(required=False))
    assert isinstance(field, SafeJSONFormField) and isinstance(field, NamesFormField)
    assert field.clean("a, b") == ["a", "b"]
    try:
        field.clean("[" * 100_000 + "]" * 100_000)
    except forms.ValidationError as error:
        assert "nested too deeply" in str(error)
    else:
        raise AssertionError("deep JSON was accepted")


def test_the_known_names_are_offered_to_the_browser():
    field = NamesFormField(required=False, suggestions=["person", "person_down"])
    html = field.widget.render("labels", ["person"], {"id": "id_labels"})
    assert 'list="id_labels-known"' in html and '<datalist id="id_labels-known">' in html
    assert '<option value="person_down">' in html and 'value="person"' in html
