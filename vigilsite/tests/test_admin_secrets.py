"""No admin page shows a secret, and no admin list filters or searches on one, for any role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.roles import ADMINISTRATORS, OPERATORS, VIEWERS
from accounts.services import api_token_issue
from cameras.services import camera_push_token_rotate
from cameras.tests.factories import CameraFactory
from core import redact
from notifications.models import NotificationChannel

pytestmark = pytest.mark.django_db

CAMERA_URL = "http://127.0.0.1:9/snap.cgi?usr=admin&pwd=TOPSECRETPWD&loginpas=LOGINPAS_SECRET"
HOOK_URL = "http://127.0.0.1:9/hook?token=HOOKTOKENSECRET"
AUDITORS = "Auditors"  # a custom role that may view every record the admin keeps secrets in
AUDITOR_PERMISSIONS = ["view_camera", "view_notificationchannel", "view_notification", "view_apitoken", "view_user"]


@pytest.fixture
def scene(db, make_user):
    camera = CameraFactory(source_url=CAMERA_URL, name="Secret Cam", username="camuser", password="CAMPASS_SECRET")
    camera_push_token_rotate(camera=camera)
    camera.refresh_from_db()
    channel = NotificationChannel.objects.create(name="Hook", kind="webhook", url=HOOK_URL, secret="WEBHOOKSIGNSECRET")
    auditors = Group.objects.create(name=AUDITORS)
    auditors.permissions.set(Permission.objects.filter(codename__in=AUDITOR_PERMISSIONS))
    owner = make_user("owner", VIEWERS)
    token, _ = api_token_issue(user=owner)
    users = {role: make_user(role.lower(), role, staff=True) for role in (VIEWERS, OPERATORS, ADMINISTRATORS, AUDITORS)}
    # The whole user password hash: Django's password widget, for those who may change it, shows its first characters.
    secrets = [
        "CAMPASS_SECRET", "TOPSECRETPWD", "LOGINPAS_SECRET", camera.push_token_hash, "WEBHOOKSIGNSECRET",
        "HOOKTOKENSECRET", token.key_hash, owner.password,
    ]  # fmt: skip
    return {"camera": camera, "channel": channel, "token": token, "owner": owner, "users": users, "secrets": secrets}


def _pages(scene) -> list[str]:
    camera, channel, token, owner = scene["camera"], scene["channel"], scene["token"], scene["owner"]
    return [
        reverse("admin:cameras_camera_change", args=[camera.pk]),
        reverse("admin:cameras_camera_history", args=[camera.pk]),
        reverse("admin:cameras_camera_changelist"),
        reverse("admin:notifications_notificationchannel_change", args=[channel.pk]),
        reverse("admin:notifications_notificationchannel_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:auth_user_change", args=[owner.pk]),
    ]


@pytest.mark.parametrize("role", [VIEWERS, OPERATORS, AUDITORS, ADMINISTRATORS])
def test_no_admin_page_shows_a_secret_to_any_role(client, scene, role):
    client.force_login(scene["users"][role])

    shown = {page: client.get(page) for page in _pages(scene)}

    for page, response in shown.items():
        assert response.status_code in (200, 302, 403), page
        leaked = [secret for secret in scene["secrets"] if secret in response.text]
        assert not leaked, f"{page} shows {leaked}"
    if role == AUDITORS:  # the read-only pages are drawn, with the URLs masked
        camera_page, channel_page = shown[_pages(scene)[0]], shown[_pages(scene)[3]]
        assert camera_page.status_code == channel_page.status_code == 200
        assert 'class="readonly"' in camera_page.text and "Secret Cam" in camera_page.text
        assert redact.mask_url(CAMERA_URL).replace("&", "&amp;") in camera_page.text
        assert redact.mask_url(HOOK_URL) in channel_page.text


# Each guess is made with the right start of the secret and with a wrong one.
GUESSES = [
    ("admin:cameras_camera_changelist", "password__startswith", "CAMPASS", "WRONGPW"),
    ("admin:cameras_camera_changelist", "source_url__contains", "TOPSECRETPWD", "NOTTHEPWD"),
    ("admin:cameras_camera_changelist", "push_token_hash__startswith", "{push}", "zz"),
    ("admin:notifications_notificationchannel_changelist", "secret__startswith", "WEBHOOK", "WRONGHOOK"),
    ("admin:notifications_notificationchannel_changelist", "url__contains", "HOOKTOKENSECRET", "NOTTHETOKEN"),
    ("admin:notifications_notificationchannel_changelist", "cameras__password__startswith", "CAMPASS", "WRONGPW"),
    ("admin:notifications_notification_changelist", "channel__secret__startswith", "WEBHOOK", "WRONGHOOK"),
    ("admin:notifications_notification_changelist", "channel__url__contains", "HOOKTOKEN", "NOTTHETOKEN"),
    ("admin:accounts_apitoken_changelist", "key_hash__startswith", "{key}", "zz"),
    ("admin:accounts_apitoken_changelist", "user__password__startswith", "{hash}", "zz"),
    ("admin:auth_user_changelist", "password__startswith", "{hash}", "zz"),
    ("admin:notifications_notificationchannel_changelist", "q", "HOOKTOKENSEC", "NOTTHETOKEN"),
]


@pytest.mark.parametrize("role", [VIEWERS, AUDITORS, ADMINISTRATORS])
def test_no_admin_list_filters_or_searches_on_a_secret(client, scene, role):
    client.force_login(scene["users"][role])
    values = {
        "{push}": scene["camera"].push_token_hash[:2],
        "{key}": scene["token"].key_hash[:1],
        "{hash}": scene["users"][role].password.split("$")[0],  # the hasher's name, as a stored hash starts
    }

    for name, parameter, right, wrong in GUESSES:
        answers = [client.get(reverse(name), {parameter: values.get(guess, guess)}) for guess in (right, wrong)]

        assert answers[0].status_code == answers[1].status_code, (name, parameter)
        if answers[0].status_code == 200:  # a search: the list, with no row found either way
            assert answers[0].context["cl"].result_count == answers[1].context["cl"].result_count == 0
        elif role != VIEWERS or "camera" in name:
            assert answers[0].status_code == 400, (name, parameter)  # Django's "filtering by … not allowed"
