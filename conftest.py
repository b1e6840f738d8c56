"""Fixtures shared by every app's tests: real Redis, real media, free ports."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from system import embedded_redis

BASE_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def redis_url() -> Iterator[str]:
    """The Redis of the test run: the embedded server (started here) unless VIGIL_REDIS_URL is set."""
    if not settings.EMBEDDED_REDIS:
        yield settings.REDIS_URL
        return
    process = embedded_redis.start(
        settings.EMBEDDED_REDIS_SOCKET, settings.DATA_DIR / "redis", stdout=subprocess.DEVNULL
    )
    try:
        yield settings.REDIS_URL
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def media_dir() -> Path:
    """The shared real footage; a test that needs it fails (never skips) without it."""
    value = os.environ.get("VIGIL_TEST_MEDIA")
    if not value or not Path(value).is_dir():
        pytest.fail("VIGIL_TEST_MEDIA must name the folder of shared clips (bin/test sets it to ../shared/media)")
    return Path(value).resolve()
