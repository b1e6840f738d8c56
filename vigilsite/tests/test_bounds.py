"""Every stored number has a realistic bound and every name is one line, however the value arrives:
the API answers 400 naming the field, the admin form shows a field error, and the database refuses
what the shell or an ``update()`` writes."""

from __future__ import annotations

import sys
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.migrations.state import ProjectState
from django.test import RequestFactory
from django.utils import timezone

from cameras.models import Camera, Still
from cameras.tests.factories import CameraFactory
from core.bounds import COUNTER_MAX, fit, single_line, validate_plain_text
from detection.models import CountMinute, CountSample, DetectionModel
from events.models import Event, RuleStreak, ThreatRule
from flow.models import (
    Area,
    CountingLine,
    CountingZone,
    Crossing,
    CrossingMinute,
    Occupancy,
    OccupancyCorrection,
    OccupancyMinute,
)
from notifications.models import Delivery, Notification, NotificationChannel
from recordings.models import Clip, Segment
from vigilsite.testing import BASE_DIR

NUMBER_FIELDS = (models.IntegerField, models.FloatField, models.DecimalField)
# CharFields that hold a name or a title: one line of text each.
NAME_FIELDS = {"name", "title", "label", "district", "address", "dispatched_to", "note"}


def _ours(path: Path) -> bool:
    return path.is_relative_to(BASE_DIR) and "site-packages" not in path.parts


def vigil_models() -> list[type[models.Model]]:
    """Vigil's own models (not Django's or a library's, even when an app of ours configures them)."""
    return [
        model
        for model in apps.get_models()
        if _ours(Path(sys.modules[model.__module__].__file__)) and not model._meta.proxy
    ]


def number_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, NUMBER_FIELDS) and not f.primary_key]


def limits(field: models.Field) -> tuple[object, object]:
    """The tightest bounds the field's validators set (the database's own range included)."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return (max(lows) if lows else None), (min(highs) if highs else None)


BOUNDED = [
    pytest.param(model, field.name, *limits(field), id=f"{model._meta.label}.{field.name}")
    for model in vigil_models()
    for field in number_fields(model)
]


def test_every_number_field_of_every_model_has_a_realistic_bound_and_a_check_constraint():
    assert len(BOUNDED) >= 40  # the walk found the models
    for param in BOUNDED:
        model, name, low, high = param.values
        assert low is not None and high is not None, f"{param.id} has no bound"
        # The database's own integer range (2**63 - 1 on SQLite) is not a bound: every field sets its own.
        assert high <= COUNTER_MAX, f"{param.id} allows {high}"
        checks = {c.name: c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)}
        check = checks.get(f"{model._meta.model_name}_{name}_range")
        assert check is not None, f"{param.id} has no check constraint"
        assert dict(check.condition.children[0].children) == {f"{name}__gte": low, f"{name}__lte": high}, param.id


def test_every_name_and_title_refuses_control_characters():
    names = [
        (model, f)
        for model in vigil_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField) and f.name in NAME_FIELDS
    ]
    assert len(names) >= 15
    for model, field in names:
        assert validate_plain_text in field.validators, f"{model._meta.label}.{field.name}"
        for char in INVISIBLE_CHARACTERS:
            with pytest.raises(ValidationError):
                field.run_validators(f"Gate{char}North")
        field.run_validators(JOINED_NAMES)  # the joiners Persian, Indic names and emoji need stay allowed


# Bidi controls (a U+202E title reads backwards), the byte order mark, zero-width space, word joiner.
INVISIBLE_CHARACTERS = [
    *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c",
    "\ufeff", "\u200b", "\u2060",
]  # fmt: skip
JOINED_NAMES = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0915\u094d\u200d\u0937 \U0001f468\u200d\U0001f469"


@pytest.mark.django_db
def test_the_api_refuses_a_rule_name_with_invisible_text_direction_characters(client, make_user):
    client.force_login(make_user("ada", "Administrators"))
    for char in ("\u202e", "\u200e", "\ufeff"):
        response = client.post("/api/rules/", {"name": f"Crowd{char}gpj.exe", "labels": ["person"]},
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 400, response.content
        assert "invisible character" in str(response.json()["name"])
    kept = client.post("/api/rules/", {"name": f"Crowd {JOINED_NAMES}", "labels": ["person"]},
                       content_type="application/json")  # fmt: skip
    assert kept.status_code == 201, kept.content
    assert single_line("Crowd\u202egpj.exe") == "Crowdgpj.exe"


def _beyond(value: object, step: int) -> object:
    if isinstance(value, Decimal):
        return value + Decimal(step)
    if isinstance(value, float):
        return value + step * 0.5
    return value + step


@pytest.fixture
def one_of_each(db) -> dict[type[models.Model], models.Model]:
    """A row of every model that has a number field."""
    now = timezone.now()
    camera = CameraFactory(name="Bounds")
    rule = ThreatRule.objects.create(name="Bounds", labels=["person"])
    event = Event.objects.create(camera=camera, rule=rule, label="person", title="t", latitude=1, longitude=1,
                                 first_seen=now, last_seen=now)  # fmt: skip
    line = CountingLine.objects.create(camera=camera, name="door", start=[0, 0], end=[1, 1])
    area = Area.objects.create(name="Hall", capacity=10)
    occupancy = Occupancy.objects.create(area=area, label="person", period_start=now)
    channel = NotificationChannel.objects.create(name="Bounds", kind="email", recipients="a@example.com")
    notification = Notification.objects.create(channel=channel, event=event, reason="opened", next_attempt_at=now)
    rows = [
        camera, rule, event, line, area, occupancy, channel, notification,
        DetectionModel.objects.create(name="Bounds", weights="yolo11n.pt"),
        CountSample.objects.create(camera=camera, captured_at=now, counts={}),
        CountMinute.objects.create(camera=camera, minute=now),
        RuleStreak.objects.create(rule=rule, camera=camera, last_frame_at=now),
        Crossing.objects.create(camera=camera, line=line, at=now, track_id=1, label="person", direction="in"),
        CrossingMinute.objects.create(camera=camera, line=line, minute=now, label="person"),
        OccupancyMinute.objects.create(occupancy=occupancy, minute=now, value=0, peak=0),
        OccupancyCorrection.objects.create(occupancy=occupancy, previous=0, value=1),
        Delivery.objects.create(notification=notification, channel=channel, attempt=1, status="sent"),
        Segment.objects.create(camera=camera, started_at=now, ended_at=now, file="recordings/x.ts"),
        Still.objects.create(camera=camera, captured_at=now, file="stills/x.jpg"),
        Clip.objects.create(event=event, started_at=now, ended_at=now, event_last_seen=now),
    ]  # fmt: skip
    return {type(row): row for row in rows}


@pytest.mark.parametrize(("model", "name", "low", "high"), BOUNDED)
def test_the_database_refuses_a_value_past_the_bound_whatever_writes_it(one_of_each, model, name, low, high):
    row = one_of_each[model]
    rows = model.objects.filter(pk=row.pk)
    with transaction.atomic():
        rows.update(**{name: high})  # the bound itself is fine
    for outside in (_beyond(high, 1), _beyond(low, -1)):
        # PostgreSQL's integer column refuses past 2**31 - 1 by itself (DataError); elsewhere the check does.
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            rows.update(**{name: outside})


def _api_cases() -> list:
    from cameras.api.serializers import CameraSerializer
    from events.api.serializers import ThreatRuleSerializer

    cases = []
    for serializer, url in ((CameraSerializer, "/api/cameras/"), (ThreatRuleSerializer, "/api/rules/")):
        model = serializer.Meta.model
        writable = {name for name, f in serializer().fields.items() if not f.read_only}
        for field in number_fields(model):
            if field.name in writable:
                low, high = limits(field)
                cases.append(pytest.param(model, url, field.name, low, high, id=f"{url}{field.name}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "url", "name", "low", "high"), _api_cases())
def test_the_api_answers_400_naming_a_number_past_its_bound(client, make_user, model, url, name, low, high):
    client.force_login(make_user("ada", "Administrators"))
    row = CameraFactory(name="Api") if model is Camera else ThreatRule.objects.create(name="Api")
    for outside in (_beyond(high, 1), _beyond(low, -1), 2**63 - 1):
        response = client.patch(f"{url}{row.pk}/", {name: str(outside)}, content_type="application/json")
        assert response.status_code == 400, (name, outside, response.content)
        assert name in response.json(), response.json()


def test_the_api_refuses_the_interval_that_stopped_beat(client, make_user, db):
    client.force_login(make_user("ada", "Administrators"))
    camera = CameraFactory(name="Beat")
    response = client.patch(f"/api/cameras/{camera.pk}/", {"capture_interval": 2**63 - 1},
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert "less than or equal to 86400" in str(response.json()["capture_interval"])
    camera.refresh_from_db()
    assert camera.capture_interval == 10


@pytest.mark.django_db
def test_the_admin_forms_show_a_field_error_for_every_number_past_its_bound(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = []
    for model, model_admin in admin.site._registry.items():
        if model not in vigil_models():
            continue
        form_class = model_admin.get_form(request)
        for field in number_fields(model):
            if field.name not in form_class.base_fields:
                continue  # read only in this admin
            low, high = limits(field)
            for outside in (_beyond(high, 1), _beyond(low, -1)):
                form = form_class(data={field.name: str(outside)})
                assert not form.is_valid()
                assert field.name in form.errors, (model, field.name, outside, form.errors)
            checked.append(f"{model._meta.label}.{field.name}")
    # The settings people type: camera, rule, model, channel and area numbers.
    for expected in ["cameras.Camera.capture_interval", "events.ThreatRule.cooldown_seconds",
                     "events.ThreatRule.escalate_after_minutes", "detection.DetectionModel.image_size",
                     "notifications.NotificationChannel.max_per_minute", "flow.Area.capacity"]:  # fmt: skip
        assert expected in checked


@pytest.mark.django_db
def test_names_with_a_line_break_are_refused_by_the_api_and_the_admin(client, make_user, admin_user):
    client.force_login(make_user("ada", "Administrators"))
    camera = CameraFactory(name="Gate")
    rule = ThreatRule.objects.create(name="Gate")
    for url, row in (("/api/cameras/", camera), ("/api/rules/", rule)):
        response = client.patch(f"{url}{row.pk}/", {"name": "Gate\nBcc: all@example.com"},
                                content_type="application/json")  # fmt: skip
        assert response.status_code == 400 and "line breaks" in str(response.json()["name"])
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model in (Camera, ThreatRule, NotificationChannel, DetectionModel, Area, CountingZone, CountingLine):
        form = admin.site._registry[model].get_form(request)(data={"name": "two\nlines"})
        assert not form.is_valid() and "line breaks" in str(form.errors["name"]), model
    # Tags, labels and districts are names too.
    bad_tags = client.patch(f"/api/cameras/{camera.pk}/", {"tags": ["a\tb"]}, content_type="application/json")
    bad_labels = client.patch(f"/api/rules/{rule.pk}/", {"labels": ["per\nson"]}, content_type="application/json")
    assert bad_tags.status_code == 400 and "tags" in bad_tags.json()
    assert bad_labels.status_code == 400 and "labels" in bad_labels.json()


def test_text_helpers_cut_with_an_ellipsis_and_make_one_line():
    assert fit("x" * 250, 200) == "x" * 199 + "…" and len(fit("x" * 250, 200)) == 200
    assert fit("short", 200) == "short"
    assert single_line("Gate\r\nBcc: all@example.com\tnow\u2028") == "Gate Bcc: all@example.com now"


def test_rows_stored_out_of_range_before_the_constraints_are_clamped_so_the_migration_succeeds(transactional_db):
    """What the migrations do on an old database: clamp first, then add the checks (which would fail otherwise)."""
    clamp_cameras = import_module("cameras.migrations.0006_clamp_out_of_range_values").clamp
    clamp_events = import_module("events.migrations.0006_clamp_out_of_range_values").clamp
    checks = {
        ("cameras", "camera"): ["camera_capture_interval_range"],
        ("events", "threatrule"): ["threatrule_cooldown_seconds_range", "threatrule_escalate_after_minutes_range"],
    }
    # The tables as they were before the bounds: today's models without these checks.
    before = ProjectState.from_apps(apps)
    for (app_label, model_name), names in checks.items():
        for name in names:
            before.remove_constraint(app_label, model_name, name)
    camera = CameraFactory(name="Old row", capture_interval=10)
    rule = ThreatRule.objects.create(name="Old rule", labels=["person"])
    with connection.schema_editor() as editor:
        for (app_label, model_name), names in checks.items():
            model = apps.get_model(app_label, model_name)
            for constraint in [c for c in model._meta.constraints if c.name in names]:
                editor.remove_constraint(before.apps.get_model(app_label, model_name), constraint)
    Camera.objects.filter(pk=camera.pk).update(capture_interval=COUNTER_MAX)
    ThreatRule.objects.filter(pk=rule.pk).update(cooldown_seconds=COUNTER_MAX, escalate_after_minutes=0)
    with pytest.raises(IntegrityError), connection.schema_editor() as editor:
        interval_check = next(c for c in Camera._meta.constraints if c.name == "camera_capture_interval_range")
        editor.add_constraint(Camera, interval_check)  # unclamped, the migration would stop here

    clamp_cameras(apps, None)
    clamp_events(apps, None)
    with connection.schema_editor() as editor:  # now the checks go on (the test database gets them back)
        for (app_label, model_name), names in checks.items():
            model = apps.get_model(app_label, model_name)
            for constraint in [c for c in model._meta.constraints if c.name in names]:
                editor.add_constraint(model, constraint)

    camera.refresh_from_db()
    rule.refresh_from_db()
    assert camera.capture_interval == 86_400
    assert (rule.cooldown_seconds, rule.escalate_after_minutes) == (7 * 86_400, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["a\nb", "x" * 51])
def test_a_model_label_that_would_not_fit_an_event_is_refused(label):
    model = DetectionModel(name="Labels", weights="yolo11n.pt", label_map={"car": label})
    with pytest.raises(ValidationError) as refused:
        model.full_clean(validate_unique=False)
    assert "one line of at most 50 characters" in str(refused.value.message_dict["label_map"])
