"""Pages require a login, except the login page and the health probe."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_the_home_page_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Log in to Vigil" in response.content


@pytest.mark.django_db
def test_a_user_logs_in_and_lands_on_the_live_map(client, make_user):
    make_user("viewer", "Viewers")
    response = client.post(reverse("login"), {"username": "viewer", "password": "a-long-passphrase-1"}, follow=True)
    assert response.status_code == 200
    assert 'id="map"' in response.text
    assert response.context["user"].username == "viewer"


@pytest.mark.django_db
def test_the_api_refuses_anonymous_users_with_json(client):
    response = client.get("/api/cameras/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_the_api_docs_are_served_from_packaged_files(admin_client):
    response = admin_client.get(reverse("swagger-ui"))
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn." not in response.content and b"unpkg" not in response.content


@pytest.mark.django_db
def test_every_page_kind_has_the_vigil_favicon(client, admin_client):
    from django.contrib.staticfiles import finders

    link = 'rel="icon" href="/static/system/favicon.svg"'
    assert link in client.get(reverse("login")).text
    assert link in admin_client.get(reverse("admin:index")).text
    assert link in client.get(reverse("admin:login")).text
    assert finders.find("system/favicon.svg")
