"""Every query parameter of every page, API operation and admin list, fed hostile values: never a 5xx.

The targets are discovered, so a new endpoint is fuzzed without anyone remembering to add it:
the API's GET operations and their query and path parameters come from the OpenAPI schema;
each ModelAdmin registered on the admin site gives its list (filters asked of a real change
list, the date hierarchy, search, ordering, page), its custom views without arguments (the
events' CSV export) and its change page; the site's own pages must declare their parameters
in ``PAGE_PARAMS`` (a test fails for a page that does not). A superuser asks, so every
filter and every list is reachable.

Two passes: every parameter alone with each hostile value (years 0001 and 9999 with ±14:00
offsets, unicode digits, 64-bit edges, NUL and control characters, very long text, forged
cursors), then hypothesis mixes several parameters and values per request, in the time zone
furthest ahead of UTC.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone as django_timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cameras.tests.factories import CameraFactory
from detection.models import CountMinute, CountSample
from events.models import ThreatRule
from events.services import event_open_system
from flow.models import CountingLine, Crossing

MOMENTS = [
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "0001-01-01 00:00:00+14:00", "0001-01-01",
    "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59.999999-00:01", "9999-12-31", "9999",
    "1899-12-31T23:59:59Z", "2026-02-30T00:00:00", "2026-12-01T00:00:00+99:00",
]  # fmt: skip
NUMBERS = [
    "²", "٣", "\uff19", "1²", "-1", "0", str(2**63), str(2**63 - 1), str(-(2**63) - 1), str(10**30), "1e999",
    "NaN", "1,²", "1," + str(2**64), "9999", "13", "32",
]  # fmt: skip
TEXTS = ["\x00", "a\x00b", "\x01\x1b[31m\x7f", "\u202e\ufeff", "x" * 5000, "", "%zz", "'\"<>&", "true,false"]


def _cursor(position: str) -> str:
    """A forged page cursor of DRF's CursorPagination: base64 of ``p=<position>``."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


CURSORS = [_cursor("0001-01-01 00:00:00+14:00"), _cursor("²"), _cursor(str(10**30)), "bm90IGEgY3Vyc29y"]
HOSTILE = MOMENTS + NUMBERS + TEXTS + CURSORS
# Values for each kind of parameter in the one-by-one pass: its own kind's extremes and a few of
# the others (a parameter's kind is a guess; the mixed pass below sends anything anywhere).
_FEW = ["\x00", "²", "0001-01-01T00:00:00+14:00", str(10**30), "x" * 5000]
VALUES = {
    "moment": [*MOMENTS, "\x00", "²", ""],
    "integer": [*NUMBERS, "\x00", "0001-01-01T00:00:00+14:00", "x" * 5000, ""],
    "text": [*_FEW, "a\x00b", "\x01\x1b[31m\x7f", "\u202e\ufeff", ""],
    "cursor": [*CURSORS, "\x00", "x" * 5000],
    "django": ["\x00", "²", ""],  # Django admin's own parameters, read by Django's own code
    "flag": ["\x00"],  # read for their presence only
}

# The site's pages (outside /admin/ and /api/) and the query parameters each reads, with their kind.
PAGE_PARAMS: dict[str, dict[str, str]] = {
    "home": {}, "map": {}, "flow-dashboard": {"camera": "integer", "range": "text"},
    "flow-export": {"camera": "integer", "start": "moment", "end": "moment", "kind": "text"},
    "healthz": {}, "login": {"next": "text"}, "logout": {}, "camera-latest-frame": {}, "event-snapshot": {},
    "event-clip": {}, "event-evidence": {}, "operations-dashboard": {},
    "schema": {"format": "text", "lang": "text", "version": "text"}, "swagger-ui": {},
    "redoc": {}, "set_language": {"next": "text"}, "javascript-catalog": {},
    "camera-live": {}, "camera-live-playlist": {}, "camera-segment": {},
    "camera-recording-playlist": {"at": "moment"}, "camera-live-detections": {"since": "moment"},
    "camera-timeline": {"day": "moment", "start": "text", "minutes": "integer"},
}  # fmt: skip
# What a request needs so that the parameter under test is read (an export needs a range, counts
# a camera or a district); several sets: one target each.
PAGE_COMPANIONS = {"flow-export": [{"start": "2026-12-01", "end": "2026-12-02"}]}
API_COMPANIONS = {"/api/counts/": [{"camera": "{camera}"}, {"district": "Centrum"}]}
# Django admin's own parameters of every change list.
ADMIN_LIST_PARAMS = {"q": "django", "o": "django", "p": "django", "_to_field": "django"} | {
    flag: "flag" for flag in ("all", "e", "_popup", "_facets")
}


class Target:
    """One URL and the query parameters it reads (name: kind); ``fixed`` is sent with every request to it."""

    def __init__(self, url: str, params: dict[str, str], fixed: dict[str, str] | None = None) -> None:
        self.url, self.params, self.fixed = url, dict(sorted(params.items())), fixed or {}
        self.plain_status: int | None = None  # the answer without the fuzzed parameters, once asked

    def __repr__(self) -> str:
        return self.url


def _seed_city() -> dict[str, str]:
    """Rows behind every list (so filters offer choices and pages draw rows); the values paths need."""
    gate = CameraFactory(source_url="rtsp://10.0.0.7/stream", name="North gate", district="Centrum")
    CameraFactory(source_url="http://10.0.0.8/snapshot.jpg", name="Market", district="Oost")
    ThreatRule.objects.create(name="Crowd at the gate", labels=["person"], min_count=3, severity="high")
    event = event_open_system(camera=gate, label="fault", title="Fault", detail="", severity="high")
    line = CountingLine.objects.create(camera=gate, name="Door", start=[0.1, 0.5], end=[0.9, 0.5])
    now = django_timezone.now()
    Crossing.objects.create(camera=gate, line=line, at=now, track_id=1, label="person", direction="in")
    CountSample.objects.create(camera=gate, captured_at=now, counts={"person": 2}, total=2)
    CountMinute.objects.create(camera=gate, minute=now.replace(second=0, microsecond=0), samples=1,
                               sums={"person": 2}, peaks={"person": 2})  # fmt: skip
    # "id": a camera's segment (the live view's URLs), which reads no query parameter.
    return {"slug": gate.slug, "pk": str(event.pk), "kind": "plain", "camera": str(gate.pk), "id": "1"}


def page_targets(path_values: dict[str, str]) -> list[Target]:
    """The site's own pages (every URL of the root URLconf that is not an include), with their parameters."""
    autocomplete = reverse("admin:autocomplete")
    targets = [Target(autocomplete, {name: "text" for name in ("term", "app_label", "model_name", "field_name")})]
    searched = set()  # the search behind each searchable admin's autocomplete widget, through one relation
    for model in admin.site._registry:
        for field in model._meta.get_fields():
            target_admin = admin.site._registry.get(field.related_model) if field.many_to_one else None
            if field.concrete and target_admin and target_admin.search_fields and field.related_model not in searched:
                searched.add(field.related_model)
                fixed = {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                         "field_name": field.name}  # fmt: skip
                targets.append(Target(autocomplete, {"term": "text"}, fixed))
    for pattern in _pages(get_resolver().url_patterns):
        assert pattern.name in PAGE_PARAMS, f"declare the query parameters of /{pattern.pattern} in PAGE_PARAMS"
        kwargs = {name: path_values[name] for name in pattern.pattern.converters}
        url = reverse(pattern.name, kwargs=kwargs)
        targets += [Target(url, PAGE_PARAMS[pattern.name], fixed) for fixed in PAGE_COMPANIONS.get(pattern.name, [{}])]
    return targets


def _pages(patterns: list) -> list[URLPattern]:
    """The site's pages, through each app's included ``urls.py``; /admin/ and /api/ are discovered apart."""
    pages = []
    for pattern in patterns:
        if not isinstance(pattern, URLResolver):
            pages.append(pattern)
        elif pattern.app_name != "admin" and str(pattern.pattern) != "api/":
            pages += _pages(pattern.url_patterns)
    return pages


def _schema_kind(parameter: dict) -> str:
    schema = parameter.get("schema", {})
    if parameter["name"] == "cursor":
        return "cursor"
    if schema.get("type") == "integer":
        return "integer"
    if schema.get("format") in ("date-time", "date"):
        return "moment"
    return "text"


def api_targets(client: Client, path_values: dict[str, str]) -> list[Target]:
    """Every GET operation of the OpenAPI schema with its query parameters; path parameters are a real
    row's id, and are fuzzed in their own target (``{path}``)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    targets = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        query = {p["name"]: _schema_kind(p) for p in parameters if p["in"] == "query"} | {"format": "text"}
        url = path
        for parameter in [p for p in parameters if p["in"] == "path"]:
            name, listed = parameter["name"], path.split("{")[0]
            rows = client.get(listed).json()
            rows = rows["results"] if isinstance(rows, dict) else rows
            url = url.replace("{" + name + "}", str(rows[0][name]))
            targets.append(Target(path.replace("{" + name + "}", "{path}"), {"path": _schema_kind(parameter)}))
        for fixed in API_COMPANIONS.get(path, [{}]):
            targets.append(Target(url, query, {name: value.format(**path_values) for name, value in fixed.items()}))
    return targets


def _field_kind(model, path: str) -> str | None:
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None
    field = getattr(field, "target_field", field)  # a relation filters on its target's key
    if isinstance(field, models.DateField):
        return "moment"
    if isinstance(field, models.IntegerField):
        return "integer"
    return "text"


def _filter_params(model, spec) -> dict[str, str]:
    """A list filter's own parameters, and the lookups anyone may add on its field (``first_seen__lt``)."""
    field_path = getattr(spec, "field_path", None)
    kind = _field_kind(model, field_path) if field_path else None
    params = {name: kind or "text" for name in spec.expected_parameters()}
    if kind == "moment":
        params |= {f"{field_path}__{lookup}": "moment" for lookup in ("gte", "lt", "exact", "in")}
        params |= {f"{field_path}__{part}": "integer" for part in ("year", "month", "day")}
    elif kind == "integer":
        params |= {f"{field_path}__{lookup}": "integer" for lookup in ("exact", "in")}
    for name in list(params):
        if name.endswith("__isnull"):
            params[name] = "text"
    return params


def admin_targets(user) -> list[Target]:
    """Per registered ModelAdmin: its list, its own argument-less views (exports), its change page."""
    targets = []
    factory = RequestFactory()
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        url = reverse(f"{info}_changelist")
        request = factory.get(url)
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        params = dict(ADMIN_LIST_PARAMS)
        for spec in changelist.filter_specs:
            params |= _filter_params(model, spec)
        hierarchy = changelist.date_hierarchy
        if hierarchy:
            params |= {f"{hierarchy}__{part}": "integer" for part in ("year", "month", "day")}
        lists = [Target(url, params)]
        if hierarchy:  # the month and day are read only with a year
            month_day = {f"{hierarchy}__month": "integer", f"{hierarchy}__day": "integer"}
            lists.append(Target(url, month_day, {f"{hierarchy}__year": "2026"}))
        standard = {f"{info[6:]}_{suffix}" for suffix in ("changelist", "add")}
        for pattern in model_admin.get_urls():  # the admin's own views on the list, such as an export
            if isinstance(pattern, URLPattern) and pattern.name not in standard and not pattern.pattern.regex.groups:
                lists += [Target(reverse(f"admin:{pattern.name}"), t.params, t.fixed) for t in lists[:2]]
        targets += lists
        first = model_admin.get_queryset(request).first()
        if first is not None:
            change = {"_changelist_filters": "django", "_to_field": "django"}
            targets.append(Target(reverse(f"{info}_change", args=[first.pk]), change))
    return targets


@pytest.fixture
def fuzz_world(db) -> tuple[Client, list[Target]]:
    """One superuser client and every target, on one data set."""
    path_values = _seed_city()
    user = get_user_model().objects.create_superuser("fuzz-root", password="a-long-passphrase-1")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    targets = page_targets(path_values) + api_targets(client, path_values) + admin_targets(user)
    return client, targets


def _answer(client: Client, target: Target, query: dict[str, str]) -> str | None:
    """None when the answer is below 500 (its whole body read); else what went wrong."""
    query = {**target.fixed, **query}
    url = target.url.replace("{path}", quote(query.pop("path", "1"), safe=""))
    full = f"{url}?{urlencode(query)}"
    response = client.get(full)
    try:
        if response.streaming:  # a CSV export: a query that fails while streaming is a broken download
            b"".join(response.streaming_content)
    except Exception as error:
        return f"{full} broke while streaming: {error!r}"
    if response.status_code == 503 and _unavailable_anyway(client, target):
        return None  # /healthz without workers: "unavailable" is its answer, whatever the query
    if response.status_code >= 500:
        return f"{full} answered {response.status_code}"
    return None


def _unavailable_anyway(client: Client, target: Target) -> bool:
    if target.plain_status is None:
        target.plain_status = client.get(f"{target.url}?{urlencode(target.fixed)}").status_code
    return target.plain_status == 503


def test_the_fuzz_finds_every_surface(fuzz_world):
    _, targets = fuzz_world
    urls = {target.url for target in targets}
    # A broken discovery would make the fuzz pass on nothing: each surface is really there.
    assert {"/flow/export.csv", "/api/events/", "/api/counts/", "/admin/events/event/export.csv"} <= urls
    assert {model._meta.model_name for model in admin.site._registry} <= {
        url.split("/")[3] for url in urls if url.startswith("/admin/")
    }
    assert sum(url.startswith("/api/") for url in urls) > 8
    events = next(target for target in targets if target.url == "/api/events/")
    assert events.params["changed_since"] == "moment" and events.params["cursor"] == "cursor"


@pytest.mark.timeout(600)
def test_every_parameter_alone_with_each_hostile_value_gets_no_server_error(fuzz_world):
    client, targets = fuzz_world
    failures: dict[str, list[str]] = {}  # "URL parameter": what went wrong
    for target in targets:
        if not target.params:  # a page that reads no parameter: once, with hostile values it should ignore
            query = {f"x{n}": value for n, value in enumerate(_FEW)}
            failures[f"{target.url} (any)"] = [_answer(client, target, query)]
        for name, kind in target.params.items():
            failures[f"{target.url} {name}"] = [_answer(client, target, {name: value}) for value in VALUES[kind]]
    failures = {where: [f for f in found if f] for where, found in failures.items() if any(found)}
    examples = [found[0] for found in failures.values()]
    assert not failures, f"server errors at {len(failures)} parameters:\n" + "\n".join(sorted(examples))


OFFSETS = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone(-timedelta(minutes=1))]
_moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59),
                        timezones=st.sampled_from(OFFSETS)).map(datetime.isoformat)  # fmt: skip
_values = st.one_of(
    st.sampled_from(HOSTILE),
    _moments,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["1e-999", "-0", "Infinity", "0.5", "1" * 400]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
)


@pytest.mark.timeout(600)
def test_generated_parameter_combinations_get_no_server_error(fuzz_world):
    client, targets = fuzz_world

    @settings(max_examples=500, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(data=st.data())
    def ask(data) -> None:
        target = data.draw(st.sampled_from(targets), label="target")
        names = list(target.params)
        chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=4), label="names") if names else []
        query = {name: data.draw(_values, label=name) for name in chosen}
        failure = _answer(client, target, query)
        assert failure is None, failure

    # In the time zone furthest ahead of UTC: a local midnight of a date is 14 hours earlier in UTC.
    with django_timezone.override("Pacific/Kiritimati"):
        ask()
