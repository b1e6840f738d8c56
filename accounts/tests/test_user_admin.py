"""The user and group admin, through its real forms: only a superuser hands out more than they hold."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from accounts.roles import ADMINISTRATORS, OPERATORS, VIEWERS
from accounts.services import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(client, make_user) -> User:
    """A non-superuser Administrator, logged in."""
    user = make_user("ada", ADMINISTRATORS, staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def root(django_user_model) -> User:
    return django_user_model.objects.create_superuser("root", password="the-superuser-password")


def _user_form(user: User, **changes) -> dict:
    """What the user admin's change form posts for ``user`` (every field it shows), with ``changes``."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}", "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        "last_login_0": "", "last_login_1": "", "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        **({"is_active": "on"} if user.is_active else {}), **({"is_staff": "on"} if user.is_staff else {}),
        **({"is_superuser": "on"} if user.is_superuser else {}),
    }  # fmt: skip
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _weights_group() -> Group:
    group = Group.objects.create(name="Model keepers")
    group.permissions.add(Permission.objects.get(codename="manage_model_weights"))
    return group


def test_an_administrator_cannot_make_themselves_superuser_or_grant_permissions(client, ada):
    weights = Permission.objects.get(codename="manage_model_weights")
    form = _user_form(ada, is_superuser="on", user_permissions=[weights.pk])

    response = client.post(reverse("admin:auth_user_change", args=[ada.pk]), form)

    assert response.status_code == 302
    ada = User.objects.get(pk=ada.pk)
    assert not ada.is_superuser and not ada.user_permissions.exists()
    assert not ada.has_perm("detection.manage_model_weights")


def test_an_administrator_cannot_give_staff_status(client, ada, make_user):
    viewer = make_user("vera", VIEWERS)

    client.post(reverse("admin:auth_user_change", args=[viewer.pk]), _user_form(viewer, is_staff="on"))

    assert not User.objects.get(pk=viewer.pk).is_staff


def test_an_administrator_cannot_change_or_delete_a_superuser(client, ada, root):
    password_page = reverse("admin:auth_user_password_change", args=[root.pk])
    new_password = {"password1": "a-Takeover-pass-42", "password2": "a-Takeover-pass-42", "usable_password": "true"}

    answers = [
        client.get(password_page).status_code,
        client.post(password_page, new_password).status_code,
        client.post(
            reverse("admin:auth_user_change", args=[root.pk]), _user_form(root, email="a@evil.example")
        ).status_code,
        client.post(reverse("admin:auth_user_delete", args=[root.pk]), {"post": "yes"}).status_code,
    ]
    bulk = client.post(reverse("admin:auth_user_changelist"),
                       {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"})  # fmt: skip

    assert answers == [403, 403, 403, 403] and bulk.status_code == 403
    root = User.objects.get(pk=root.pk)
    assert root.check_password("the-superuser-password") and root.email == ""


def test_an_administrator_cannot_join_a_group_holding_more_than_they_do(client, ada, make_user):
    keepers, viewer = _weights_group(), make_user("vera", VIEWERS)

    mine = client.post(reverse("admin:auth_user_change", args=[ada.pk]),
                       _user_form(ada, groups=[g.pk for g in ada.groups.all()] + [keepers.pk]))  # fmt: skip
    theirs = client.post(reverse("admin:auth_user_change", args=[viewer.pk]), _user_form(viewer, groups=[keepers.pk]))

    assert mine.status_code == theirs.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in mine.text
    assert not ada.groups.filter(pk=keepers.pk).exists() and not viewer.groups.filter(pk=keepers.pk).exists()


def test_an_administrator_cannot_add_a_permission_they_lack_to_a_group(client, ada):
    administrators = Group.objects.get(name=ADMINISTRATORS)
    held = list(administrators.permissions.values_list("pk", flat=True))
    weights = Permission.objects.get(codename="manage_model_weights")

    response = client.post(reverse("admin:auth_group_change", args=[administrators.pk]),
                           {"name": ADMINISTRATORS, "permissions": [*held, weights.pk]})  # fmt: skip

    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert not administrators.permissions.filter(pk=weights.pk).exists()
    keepers = _weights_group()
    edit = client.post(reverse("admin:auth_group_change", args=[keepers.pk]), {"name": "Mine", "permissions": held})
    assert edit.status_code == 403 and Group.objects.get(pk=keepers.pk).name == "Model keepers"


def test_an_administrator_still_manages_the_roles_they_hold(client, ada, make_user):
    viewer = make_user("vera", VIEWERS)
    operators = Group.objects.get(name=OPERATORS)

    response = client.post(reverse("admin:auth_user_change", args=[viewer.pk]),
                           _user_form(viewer, groups=[operators.pk], email="vera@city.example"))  # fmt: skip

    assert response.status_code == 302
    viewer = User.objects.get(pk=viewer.pk)
    assert list(viewer.groups.values_list("name", flat=True)) == [OPERATORS] and viewer.email == "vera@city.example"


def test_a_superuser_may_grant_superuser_status(client, root, make_user):
    client.force_login(root)
    viewer = make_user("vera", VIEWERS)

    client.post(reverse("admin:auth_user_change", args=[viewer.pk]),
                _user_form(viewer, is_superuser="on", is_staff="on"))  # fmt: skip

    viewer = User.objects.get(pk=viewer.pk)
    assert viewer.is_superuser and viewer.is_staff


def test_an_administrator_neither_sees_nor_issues_a_superusers_api_token(client, ada, root):
    token, _ = api_token_issue(user=root)

    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    made = client.post(reverse("admin:accounts_apitoken_add"), {"user": root.pk})
    deleted = client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert token.prefix not in listing.text and page.status_code == 302  # "no such token"
    assert made.status_code == 200 and "Select a valid choice" in made.text
    assert deleted.status_code == 302 and root.api_tokens.count() == 1


def test_an_administrator_cannot_take_over_another_staff_account(client, ada, make_user):
    other = make_user("ada2", ADMINISTRATORS, staff=True)
    password_page = reverse("admin:auth_user_password_change", args=[other.pk])
    new_password = {"password1": "a-Takeover-pass-42", "password2": "a-Takeover-pass-42", "usable_password": "true"}

    answers = [
        client.post(password_page, new_password).status_code,
        client.post(reverse("admin:auth_user_change", args=[other.pk]), _user_form(other, groups=[])).status_code,
        client.post(reverse("admin:auth_user_change", args=[other.pk]), _user_form(other, is_active=None)).status_code,
        client.post(reverse("admin:auth_user_delete", args=[other.pk]), {"post": "yes"}).status_code,
    ]
    token = client.post(reverse("admin:accounts_apitoken_add"), {"user": other.pk, "name": "mine now"})

    assert answers == [403, 403, 403, 403]
    assert token.status_code == 200 and "Select a valid choice" in token.text
    other = User.objects.get(pk=other.pk)
    assert not other.check_password("a-Takeover-pass-42") and other.is_active
    assert list(other.groups.values_list("name", flat=True)) == [ADMINISTRATORS] and not other.api_tokens.exists()


def test_an_administrator_still_sets_passwords_and_issues_tokens_for_non_staff_users(client, ada, make_user):
    viewer = make_user("vera", VIEWERS)

    changed = client.post(reverse("admin:auth_user_password_change", args=[viewer.pk]),
                          {"password1": "a-New-pass-for-vera-42", "password2": "a-New-pass-for-vera-42",
                           "usable_password": "true"})  # fmt: skip
    made = client.post(reverse("admin:accounts_apitoken_add"), {"user": viewer.pk, "name": "dashboard"})

    assert changed.status_code == 302 and User.objects.get(pk=viewer.pk).check_password("a-New-pass-for-vera-42")
    assert made.status_code == 200 and viewer.api_tokens.count() == 1
