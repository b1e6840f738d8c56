"""Threat rules and detection models through the API, per role."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

RULE = {"name": "Night square", "labels": ["person"], "severity": "high", "zone": [[0, 0.5], [1, 0.5], [1, 1]]}


def test_viewers_read_rules_and_models_but_cannot_write(client, make_user, offline_model):
    client.force_login(make_user("vera", "Viewers"))

    assert client.get("/api/rules/").status_code == 200
    models = client.get("/api/models/").json()
    assert any(m["is_default"] and m["name"] == offline_model.name for m in models)
    assert client.post("/api/rules/", RULE, content_type="application/json").status_code == 403


def test_administrators_write_rules_with_the_admins_checks(client, make_user):
    client.force_login(make_user("ada", "Administrators"))

    made = client.post("/api/rules/", RULE, content_type="application/json")
    bad_zone = client.post("/api/rules/", {**RULE, "name": "b", "zone": [[0, 0], [2, 0], [1, 1]]},
                           content_type="application/json")  # fmt: skip
    no_district = client.post("/api/rules/", {**RULE, "name": "c", "scope": "district"},
                              content_type="application/json")  # fmt: skip
    half_hours = client.patch(f"/api/rules/{made.json()['id']}/", {"active_from": "22:00"},
                              content_type="application/json")  # fmt: skip

    assert made.status_code == 201 and made.json()["zone"] == RULE["zone"]
    assert bad_zone.status_code == 400 and "between 0 and 1" in str(bad_zone.json()["zone"])
    assert no_district.status_code == 400 and "Name the district" in str(no_district.json()["district"])
    assert half_hours.status_code == 400 and "both ends" in str(half_hours.json())
    # Models are read only in the API; Administrators may not add one at all (weights are code): 403.
    assert client.post("/api/models/", {"name": "x"}, content_type="application/json").status_code == 403
