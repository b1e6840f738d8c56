"""Every page carries a Content-Security-Policy and a Permissions-Policy, and no template needs inline script."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cameras.tests.factories import CameraFactory
from vigilsite.testing import BASE_DIR, run_python

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("url", ["/", "/flow/", "/admin/", "/admin/cameras/camera/", "/api/cameras/", "/api/docs/"])
def test_pages_carry_a_strict_script_policy_and_no_browser_features(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval': injected script never runs
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    features = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in features


def test_the_login_page_carries_them_too(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    ("tiles", "source"),
    [
        ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "https://*.tiles.example.org"),
        ("https://maps.example.org:8443/tiles/{z}/{x}/{y}.png", "https://maps.example.org:8443"),
    ],
)
def test_the_configured_tile_server_is_allowed_for_pictures(tmp_path, tiles, source):
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    result = run_python(show, VIGIL_MAP_TILES_URL=tiles, VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'self'", "data:", "blob:", source]


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
_JAVASCRIPT_URL = re.compile(r"""(href|src)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def test_no_template_or_script_relies_on_inline_script_the_policy_would_block():
    sources = [
        path
        for pattern in ("templates/**/*.html", "*/templates/**/*.html", "*/static/**/*.js")
        for path in BASE_DIR.glob(pattern)
        # Leaflet's own bundle builds no markup; vendor/ holds the npm libraries (bin/vendor), a folder of
        # which is named like a script (hls.js).
        if ".venv" not in path.parts and "leaflet" not in path.parts and "vendor" not in path.parts
    ]
    assert len(sources) > 10
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0)}"
        for path in sources
        for expression in ((_INLINE_SCRIPT, _HANDLER, _JAVASCRIPT_URL) if path.suffix == ".html" else (_HANDLER,))
        for match in expression.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_camera_map_reads_its_tiles_from_data_attributes(admin_client):
    camera = CameraFactory(name="Gate")
    page = admin_client.get(reverse("admin:cameras_camera_change", args=[camera.pk])).content.decode()
    assert 'data-tiles-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    assert "/static/cameras/camera_map.js" in page
