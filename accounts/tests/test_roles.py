"""The roles the data migration creates, and what each may do."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ADMINISTRATORS, OPERATORS, VIEWERS

pytestmark = pytest.mark.django_db


def _perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_creates_three_nested_roles():
    viewers, operators, administrators = _perms(VIEWERS), _perms(OPERATORS), _perms(ADMINISTRATORS)
    assert {"events.view_event", "cameras.view_camera"} <= viewers
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in viewers)
    assert operators - viewers == {"events.change_event", "events.change_rulesnooze", "flow.change_occupancy"}
    assert {"cameras.add_camera", "events.change_threatrule", "auth.change_user"} <= administrators
    assert viewers < operators < administrators


def test_operators_cannot_manage_cameras_or_users(make_user):
    operator = make_user("olga", OPERATORS)
    assert operator.has_perm("events.change_event")
    assert not operator.has_perm("cameras.change_camera")
    assert not operator.has_perm("auth.add_user")


def test_every_permission_a_role_names_exists():
    from accounts.roles import ROLES

    for name, perms in ROLES.items():
        assert _perms(name) == set(perms), f"{name}: {set(perms) - _perms(name)} named but not given"


def test_administrators_reach_cameras_now_but_no_role_sets_model_weights():
    administrators = _perms(ADMINISTRATORS)
    assert {"cameras.capture_camera", "cameras.issue_push_token", "detection.change_detectionmodel"} <= administrators
    assert "detection.add_detectionmodel" not in administrators  # adding one names its weights
    assert not any("manage_model_weights" in _perms(role) for role in (VIEWERS, OPERATORS, ADMINISTRATORS))
    assert not _perms(OPERATORS) & {"cameras.capture_camera", "cameras.issue_push_token"}
