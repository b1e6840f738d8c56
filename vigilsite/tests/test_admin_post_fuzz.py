"""Every field of every admin add form, and every list action, POSTed hostile values: never a 5xx.

The forms are discovered from the admin site's registry (each ModelAdmin's own form, as the add
page builds it), so a new admin, field or action is fuzzed without anyone adding it here. Each
field is sent each hostile value alone (the other fields empty), since one bad value is enough to
reach the code that read it: a key beyond 64 bits (SQLite overflows), a key of letters or of
unicode digits, NUL, a 70,000-character text, JSON nested 5000 deep. A superuser posts, so every
form and action is reachable.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from cameras.tests.factories import CameraFactory
from events.models import ThreatRule

NESTED = "[" * 5000
HOSTILE = [str(2**80), "-1", "abc", "\u00b2", "\x00", "x" * 70_000, NESTED]
# Values of the action's selected rows (the rows themselves exist, so the action would run).
HOSTILE_SELECTED = [str(2**80), "9999999999999999999999999", "-1", "abc", "\u00b2", "\x00", "x" * 70_000]


def _field_names(form_class: type[forms.BaseForm]) -> dict[str, bool]:
    """The POST names of a form's fields; True where the field takes several values."""
    names = {}
    for name, field in form_class.base_fields.items():
        several = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            names |= {f"{name}{suffix}": several for suffix in widget.widgets_names}
        names[name] = several
    return names


@pytest.fixture
def fuzz_admin(db) -> tuple[Client, object]:
    user = get_user_model().objects.create_superuser("post-root", password="a-long-passphrase-1")
    CameraFactory(source_url="rtsp://10.0.0.7/stream", name="North gate", district="Centrum")
    ThreatRule.objects.create(name="Crowd", labels=["person"], min_count=3, severity="high")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client, user


def _server_errors(client: Client, url: str, posts: list[dict]) -> list[str]:
    failures = []
    for data in posts:
        response = client.post(url, data)
        if response.status_code >= 500:
            shown = {name: (repr(value)[:40]) for name, value in data.items()}
            failures.append(f"{url} {shown} -> {response.status_code}")
    return failures


def test_every_admin_add_form_field_with_each_hostile_value_gets_no_server_error(fuzz_admin):
    client, user = fuzz_admin
    request = RequestFactory().get("/")
    request.user = user
    failures, fuzzed = [], 0
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_add_permission(request):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        names = _field_names(model_admin.get_form(request, None, change=False))
        posts = [{name: [value] if several else value} for name, several in names.items() for value in HOSTILE]
        fuzzed += len(names)
        failures += _server_errors(client, url, posts)
    assert fuzzed > 40, "the fuzz found too few fields: is the registry empty?"
    assert not failures, "\n".join(failures)


def test_every_admin_list_action_with_hostile_selected_rows_gets_no_server_error(fuzz_admin):
    client, user = fuzz_admin
    request = RequestFactory().get("/")
    request.user = user
    failures, fuzzed = [], 0
    for model, model_admin in admin.site._registry.items():
        actions = model_admin.get_actions(request)
        if not actions:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for action in actions:
            fuzzed += 1
            posts = [{"action": action, "index": "0", ACTION_CHECKBOX_NAME: [value]} for value in HOSTILE_SELECTED]
            posts.append({"action": action, "index": str(2**80), ACTION_CHECKBOX_NAME: ["1"]})
            failures += _server_errors(client, url, posts)
    assert fuzzed > 10, "the fuzz found too few actions"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("url", "field"),
    [("admin:cameras_camera_add", "tags"), ("admin:events_threatrule_add", "zone"),
     ("admin:flow_countingline_add", "points"), ("admin:django_celery_beat_periodictask_add", "args")],
)  # fmt: skip
def test_json_nested_too_deeply_in_an_admin_form_is_a_field_error(fuzz_admin, url, field):
    client, _ = fuzz_admin
    response = client.post(reverse(url), {field: NESTED})
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors[field]


def test_an_emptied_optional_json_box_saves_its_default_not_null_in_every_admin_form(fuzz_admin):
    # Emptying a rule's zone, a line's door or a camera's tags posted "" and Django made it None: an
    # IntegrityError (500) on columns that refuse NULL. Every admin form of every model is walked.
    _, user = fuzz_admin
    request = RequestFactory().get("/")
    request.user = user
    checked = []
    for model, model_admin in admin.site._registry.items():
        form_class = model_admin.get_form(request)
        for column in model._meta.concrete_fields:
            field = form_class.base_fields.get(column.name)
            if isinstance(field, forms.JSONField) and not field.required and not column.null and column.has_default():
                assert field.clean("") == column.get_default(), (model.__name__, column.name)
                checked.append(f"{model.__name__}.{column.name}")
    assert {"ThreatRule.zone", "CountingLine.door", "Camera.tags"} <= set(checked)
