"""Log-in attempts are rate limited (django-axes): guessing stops after a few tries."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from accounts.roles import ADMINISTRATORS
from conftest import PASSWORD

WRONG = "not-the-password"


def _log_in(client, username, password, *, url="/accounts/login/", address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail_until_locked(client, username, **kwargs):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, username, WRONG, **kwargs)


@pytest.mark.django_db
def test_after_the_failure_limit_even_the_right_password_is_refused(client, make_user):
    user = make_user("ana", ADMINISTRATORS, staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "ana", WRONG).status_code == 200  # the form again, with its error
    assert _log_in(client, "ana", WRONG).status_code == 429
    response = _log_in(client, "ana", PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert b"Try again in 15 minutes" in response.content  # in words, not "PT15M"
    assert "_auth_user_id" not in client.session
    # The refused try counts too: guessing while locked only keeps the lock.
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == settings.AXES_FAILURE_LIMIT + 1


@pytest.mark.django_db
def test_the_admin_log_in_is_counted_too(client, make_user):
    make_user("ana", ADMINISTRATORS, staff=True)
    _fail_until_locked(client, "ana", url="/admin/login/")
    assert _log_in(client, "ana", PASSWORD, url="/admin/login/").status_code == 429
    assert _log_in(client, "ana", PASSWORD).status_code == 429  # the same lock on the other form


@pytest.mark.django_db
def test_a_lock_holds_one_name_from_one_address(client, make_user):
    make_user("ana")
    make_user("ben")
    _fail_until_locked(client, "ana")
    # Ben at the same desk and Ana from another address still get in.
    assert _log_in(client, "ben", PASSWORD).status_code == 302
    client.logout()
    assert _log_in(client, "ana", PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(client, make_user):
    make_user("ana")
    _fail_until_locked(client, "ana")
    assert _log_in(client, "ana", PASSWORD).status_code == 429
    # The clock moves on past the cool-off: the attempts are old enough to be forgotten.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=1))
    assert _log_in(client, "ana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(client, make_user):
    make_user("ana")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ana", WRONG)
    assert _log_in(client, "ana", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ana", WRONG)
    assert _log_in(client, "ana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_administrator_unlocks_a_user_by_deleting_the_attempt(client, make_user):
    make_user("ana")
    _fail_until_locked(client, "ana")
    admin = make_user("root", ADMINISTRATORS, staff=True)
    staff = client.__class__()
    staff.force_login(admin)
    attempt = AccessAttempt.objects.get(username="ana")
    assert staff.get("/admin/axes/accessattempt/").status_code == 200
    response = staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _log_in(client, "ana", PASSWORD).status_code == 302
