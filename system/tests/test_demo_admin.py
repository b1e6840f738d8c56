"""The demo administrator's password is shown on a terminal only; a log gets the path of a private file."""

from __future__ import annotations

import io
import os
import pty
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PASSWORD_FILE = "admin-password.txt"  # in the data folder


def test_a_log_never_gets_the_password_only_the_path_of_a_file_that_only_its_owner_reads(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    log = io.StringIO()  # not a terminal: a file, a pipe, journald, docker logs

    call_command("seed_demo", stdout=log)

    path = tmp_path / PASSWORD_FILE
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert password not in log.getvalue()
    assert f"with the password in {path}" in log.getvalue()


def test_an_interactive_terminal_is_shown_the_password_and_no_file_is_written(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    leader, follower = pty.openpty()
    terminal = os.fdopen(follower, "w")
    try:
        call_command("seed_demo", stdout=terminal)
        terminal.flush()
        shown = os.read(leader, 65536).decode()
    finally:
        terminal.close()
        os.close(leader)

    password = shown.split("with password ", 1)[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert not (tmp_path / PASSWORD_FILE).exists()
