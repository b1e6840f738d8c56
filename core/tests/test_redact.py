"""Credentials in URLs are masked wherever a URL is shown, and the mask taken back where a form returns it."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from core.redact import CredentialFilter, mask_text, mask_url, unmask_url

CREDENTIAL_NAMES = [
    "pwd", "PWD", "password", "Password", "pass", "passwd", "pw", "token", "access_token", "Auth_Token", "key",
    "apikey", "api_key", "api-key", "auth", "secret", "client_secret", "sig", "signature", "X-Amz-Signature",
    "X-Amz-Credential", "X-Amz-Security-Token", "session", "sessionid", "sid", "jwt", "camera_password",
]  # fmt: skip
KEPT_NAMES = ["usr", "user", "channel", "resolution", "stream", "subtype", "fps"]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_it_masks_every_known_credential_parameter_whatever_its_case(name):
    url = f"http://cam.example/cgi-bin/snapshot.cgi?usr=admin&{name}=S3cr%26t&channel=1"
    assert mask_url(url) == f"http://cam.example/cgi-bin/snapshot.cgi?usr=admin&{name}=***&channel=1"
    assert "S3cr" not in mask_text(f"ffmpeg: {url}: Server returned 404 Not Found")


@pytest.mark.parametrize("name", KEPT_NAMES)
def test_it_keeps_parameters_that_are_not_credentials(name):
    url = f"http://cam.example/live?{name}=1"
    assert mask_url(url) == url


def test_it_masks_the_password_in_the_user_part_and_keeps_the_user():
    assert mask_url("rtsp://op:pa55@10.0.0.5:554/live") == "rtsp://op:***@10.0.0.5:554/live"
    assert mask_url("rtsp://10.0.0.5:554/live", "op") == "rtsp://op:***@10.0.0.5:554/live"
    assert mask_text("failed: rtsp://op:pa55@10.0.0.5/live refused") == "failed: rtsp://op:***@10.0.0.5/live refused"


def test_a_masked_url_sent_back_keeps_the_stored_credentials_and_takes_the_other_changes():
    stored = "http://cam.example/a.cgi?usr=admin&pwd=old-secret&channel=1"
    assert unmask_url(mask_url(stored), stored) == stored
    assert unmask_url("http://cam.example/b.cgi?usr=admin&pwd=***&channel=2", stored) == (
        "http://cam.example/b.cgi?usr=admin&pwd=old-secret&channel=2"
    )
    assert unmask_url("http://cam.example/a.cgi?pwd=new-secret", stored) == "http://cam.example/a.cgi?pwd=new-secret"
    assert unmask_url("https://u:***@h.example/x", "https://u:p4ss@h.example/x") == "https://u:p4ss@h.example/x"


def test_log_records_lose_their_credentials():
    record = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, '"GET %s HTTP/1.1" 200', ("/a?token=t0k",), None)
    assert CredentialFilter().filter(record)
    assert record.getMessage() == '"GET /a?token=*** HTTP/1.1" 200'


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://h/a.cgi?usr=admin&loginpas=S3CR&psw=S3CR&pas=S3CR", "http://h/a.cgi?usr=admin&loginpas=***&psw=***&pas=***"),
        ("http://h/a.cgi?p%61ss=S3CR&%70wd=S3CR", "http://h/a.cgi?p%61ss=***&%70wd=***"),
        ("rtsp://h/live;pwd=S3CR;user=op/ch1", "rtsp://h/live;pwd=***;user=op/ch1"),
        ("rtsp://h/user=admin_password=S3CR_channel=1_stream=0.sdp", "rtsp://h/user=admin_password=***_channel=1_stream=0.sdp"),
        ("rtsp://h/user=admin_password=S3CR_x_channel=1", "rtsp://h/user=admin_password=***_channel=1"),
    ],
)  # fmt: skip
def test_it_masks_short_encoded_and_path_credentials(url, shown):
    assert mask_url(url) == shown
    assert "S3CR" not in mask_text(f"ffmpeg: {url}: 401 Unauthorized")
    assert unmask_url(shown, url) == url


def test_a_mask_sent_to_another_scheme_host_or_port_is_refused():
    stored = "http://127.0.0.1:9/snap.cgi?usr=admin&pwd=TOPSECRETPWD"
    for moved in (
        "http://127.0.0.1:9999/snap.cgi?usr=admin&pwd=***",
        "http://127.0.0.2:9/snap.cgi?usr=admin&pwd=***",
        "https://127.0.0.1:9/snap.cgi?usr=admin&pwd=***",
        "rtsp://127.0.0.1:9/user=admin_password=***",
    ):
        with pytest.raises(ValidationError, match="address changed"):
            unmask_url(moved, stored)
    assert unmask_url("http://127.0.0.1:9999/snap.cgi?pwd=typed", stored) == "http://127.0.0.1:9999/snap.cgi?pwd=typed"
    assert unmask_url("HTTP://127.0.0.1:9/other.cgi?pwd=***", stored) == "http://127.0.0.1:9/other.cgi?pwd=TOPSECRETPWD"
    assert unmask_url("http://h.example:80/a?key=***", "http://h.example/a?key=k") == "http://h.example:80/a?key=k"
