"""Settings are read from the environment at start-up and fail clearly when wrong.

Each case runs Django's set-up in a fresh interpreter, as a real start would.
"""

import stat
from pathlib import Path

import pytest

from vigilsite.testing import run_python

SETUP = "import django; django.setup(); from django.conf import settings; "
GOOD_KEY = "k3y-" + "x7Qp2Lm9Zr4Tv8Wn6Yb1Hc5Jd0Kf3Gs" * 2
PRODUCTION = {
    "VIGIL_ENV": "production",
    "VIGIL_ALLOWED_HOSTS": "vigil.example.org",
    "DJANGO_SETTINGS_MODULE": "vigilsite.settings",
}


def test_it_refuses_production_without_a_secret_key(tmp_path):
    result = run_python(SETUP, **PRODUCTION, VIGIL_SECRET_KEY=None, VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_SECRET_KEY (or VIGIL_SECRET_KEY_FILE) must be set when VIGIL_ENV=production" in result.stderr


def test_it_refuses_a_weak_production_secret_key(tmp_path):
    result = run_python(SETUP, **PRODUCTION, VIGIL_SECRET_KEY="changeme", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_SECRET_KEY is too weak for production" in result.stderr


def test_it_reads_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    result = run_python(
        SETUP + "print(settings.SECRET_KEY)",
        **PRODUCTION,
        VIGIL_SECRET_KEY=None,
        VIGIL_SECRET_KEY_FILE=str(key_file),
        VIGIL_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == GOOD_KEY


def test_it_generates_a_development_key_once_and_keeps_it(tmp_path):
    env = {"VIGIL_SECRET_KEY": None, "VIGIL_ENV": None, "VIGIL_DATA_DIR": str(tmp_path)}
    first = run_python(SETUP + "print(settings.SECRET_KEY)", **env)
    second = run_python(SETUP + "print(settings.SECRET_KEY)", **env)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert first.stdout == second.stdout
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_it_explains_a_bad_database_url_without_showing_its_password(tmp_path):
    result = run_python(
        SETUP, VIGIL_DATABASE_URL="mongodb://vigil:hunter2@db.example.org/vigil", VIGIL_DATA_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "VIGIL_DATABASE_URL=mongodb://vigil:***@db.example.org/vigil is not a valid database URL" in result.stderr
    assert "hunter2" not in result.stderr


def test_it_explains_a_database_url_without_a_database_name(tmp_path):
    result = run_python(SETUP, VIGIL_DATABASE_URL="postgres://db.example.org", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "names no database" in result.stderr


def test_it_uses_sqlite_and_embedded_redis_in_the_data_folder_by_default(tmp_path):
    result = run_python(
        SETUP + "print(settings.DATABASES['default']['NAME']); print(settings.REDIS_URL); "
        "print(settings.CELERY_BROKER_URL); print(settings.EMBEDDED_REDIS)",
        VIGIL_DATABASE_URL=None,
        VIGIL_REDIS_URL=None,
        VIGIL_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    database, redis_url, broker, embedded = result.stdout.split()
    assert Path(database) == tmp_path / "vigil.sqlite3"
    assert redis_url == f"unix://{tmp_path}/redis.sock"
    assert broker == f"redis+socket://{tmp_path}/redis.sock"
    assert embedded == "True"


def test_it_rejects_a_malformed_boolean(tmp_path):
    result = run_python(SETUP, VIGIL_DEBUG="maybe", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_DEBUG='maybe' is not a boolean" in result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
        VIGIL_SECRET_KEY=GOOD_KEY,
        VIGIL_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_rejects_an_unknown_detection_device(tmp_path):
    result = run_python(SETUP, VIGIL_DETECTION_DEVICE="gpu0", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_DETECTION_DEVICE='gpu0' must be cpu, cuda or cuda:N" in result.stderr


def test_a_sqlite_database_given_as_a_url_waits_for_locks_like_the_default_one(tmp_path):
    result = run_python(
        SETUP + "print(settings.DATABASES['default']['OPTIONS'])",
        VIGIL_DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3", VIGIL_DATA_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout and "journal_mode=WAL" in result.stdout


def test_it_rejects_a_public_url_that_is_not_http(tmp_path):
    result = run_python(SETUP, VIGIL_PUBLIC_URL="vigil.example.org", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_PUBLIC_URL='vigil.example.org' must be an http(s) URL" in result.stderr


def test_links_in_notifications_default_to_the_production_origin(tmp_path):
    result = run_python(
        SETUP + "print(settings.PUBLIC_URL, settings.EMAIL_BACKEND, settings.EMAIL_HOST)",
        **PRODUCTION, VIGIL_SECRET_KEY=GOOD_KEY, VIGIL_CSRF_TRUSTED_ORIGINS="https://vigil.city.example",
        VIGIL_DATA_DIR=str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://vigil.city.example", "django.core.mail.backends.smtp.EmailBackend",
                                     "localhost"]  # fmt: skip


def test_it_refuses_starttls_and_ssl_together(tmp_path):
    result = run_python(SETUP, VIGIL_EMAIL_STARTTLS="true", VIGIL_EMAIL_SSL="true", VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_EMAIL_STARTTLS and VIGIL_EMAIL_SSL exclude each other" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "vigil.example.org,*", ".", "*.example.org", "..."])
def test_it_refuses_wildcard_allowed_hosts_in_production(tmp_path, hosts):
    env = {**PRODUCTION, "VIGIL_ALLOWED_HOSTS": hosts}
    result = run_python(SETUP, **env, VIGIL_SECRET_KEY=GOOD_KEY, VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_ALLOWED_HOSTS may not hold a wildcard in production" in result.stderr


def test_it_accepts_subdomains_in_production_and_a_wildcard_in_development(tmp_path):
    env = {**PRODUCTION, "VIGIL_ALLOWED_HOSTS": ".example.org"}
    production = run_python(SETUP + "print(settings.ALLOWED_HOSTS)", **env, VIGIL_SECRET_KEY=GOOD_KEY,
                            VIGIL_DATA_DIR=str(tmp_path))  # fmt: skip
    development = run_python(SETUP + "print(settings.ALLOWED_HOSTS)", VIGIL_ALLOWED_HOSTS="*",
                             VIGIL_DATA_DIR=str(tmp_path))  # fmt: skip
    assert production.returncode == 0, production.stderr
    assert production.stdout.strip() == "['.example.org']"
    assert development.returncode == 0, development.stderr
    assert development.stdout.strip() == "['*']"


@pytest.mark.parametrize(
    "key",
    ["abc" * 20, "abcdefghij" * 6, "k3y-" + "Zr4Tv8Wn6Yb1" * 5, "".join(("0", "1")[i * 7 % 3 == 0] for i in range(60))],
    ids=["abc", "ten-letters", "prefixed-pattern", "two-characters"],
)
def test_it_refuses_a_production_secret_key_made_of_a_repeated_short_pattern(tmp_path, key):
    result = run_python(SETUP, **PRODUCTION, VIGIL_SECRET_KEY=key, VIGIL_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "VIGIL_SECRET_KEY is too weak for production (it repeats a short pattern" in result.stderr


def test_a_random_production_secret_key_is_accepted(tmp_path):
    import secrets

    key = secrets.token_hex(32)  # 64 characters from only 16: still random, still accepted
    result = run_python(SETUP + "print(len(settings.SECRET_KEY))", **PRODUCTION, VIGIL_SECRET_KEY=key,
                        VIGIL_DATA_DIR=str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "64"


def test_hsts_preload_is_opt_in(tmp_path):
    show = SETUP + "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD)"
    default = run_python(show, **PRODUCTION, VIGIL_SECRET_KEY=GOOD_KEY, VIGIL_DATA_DIR=str(tmp_path))
    opted_in = run_python(show, **PRODUCTION, VIGIL_SECRET_KEY=GOOD_KEY, VIGIL_HSTS_PRELOAD="true",
                          VIGIL_DATA_DIR=str(tmp_path))  # fmt: skip
    assert default.returncode == 0 and opted_in.returncode == 0, default.stderr + opted_in.stderr
    assert default.stdout.split() == ["31536000", "False"]
    assert opted_in.stdout.split() == ["31536000", "True"]


def test_the_data_folder_and_the_sqlite_database_are_readable_by_their_owner_only(tmp_path):
    data = tmp_path / "data"
    # The write-ahead log exists while the connection is open: its mode is read from inside.
    write = SETUP + (
        "import os; from django.db import connection; connection.cursor().execute('create table t (x int)'); "
        "print(oct(os.stat(str(settings.DATABASES['default']['NAME']) + '-wal').st_mode & 0o777))"
    )

    result = run_python(write, VIGIL_DATABASE_URL=None, VIGIL_SECRET_KEY=None, VIGIL_DATA_DIR=str(data))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0o600"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("vigil.sqlite3", "secret_key"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_an_existing_world_readable_data_folder_and_database_are_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "vigil.sqlite3").touch()
    (data / "vigil.sqlite3").chmod(0o644)

    result = run_python(SETUP, VIGIL_DATABASE_URL=None, VIGIL_DATA_DIR=str(data))

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "vigil.sqlite3").stat().st_mode) == 0o600


def test_it_refuses_debug_in_production(tmp_path):
    result = run_python(
        SETUP, **PRODUCTION, VIGIL_SECRET_KEY=GOOD_KEY, VIGIL_DEBUG="true", VIGIL_DATA_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "VIGIL_DEBUG=true is refused when VIGIL_ENV=production" in result.stderr
