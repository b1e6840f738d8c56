"""First-run setup of an installation."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

logger = logging.getLogger(__name__)

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD_FILE = "admin-password.txt"  # noqa: S105 - a file name, not a password


@transaction.atomic
def demo_admin_ensure() -> str | None:
    """Create the demo administrator when no superuser exists; return its new password once."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username=DEMO_ADMIN_USERNAME, email="", password=password)
    return password


def demo_admin_password_file() -> Path:
    return settings.DATA_DIR / DEMO_ADMIN_PASSWORD_FILE


def demo_admin_password_told(password: str, *, terminal: bool) -> str:
    """How to tell the new demo password: "with password ..." on an interactive terminal; otherwise
    (a log file, a pipe, journald, docker logs: kept and often shipped elsewhere) the password goes
    into a file only Vigil's user can read, and the words name that file instead."""
    if terminal:
        return f"with password {password}"
    path = demo_admin_password_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password + "\n")
    path.chmod(0o600)  # a file left from an earlier run keeps its old mode through O_CREAT
    return f"with the password in {path} (readable by you only; delete it once you have logged in)"


@transaction.atomic
def demo_seed() -> list[str]:
    """The demo a first run shows working: cameras looping clips (one as a stream with a counting line),
    example threat rules and the demo cameras' own rule; what was created, in words (nothing twice)."""
    from cameras.services import camera_demo_seed
    from events.services import rule_demo_cameras_seed, rule_demo_seed
    from flow.services import line_demo_seed

    said = []
    cameras = camera_demo_seed()
    said += [f"demo camera '{c.name}' created ({c.get_capture_mode_display().lower()})" for c in cameras]
    line = line_demo_seed(cameras)
    if line is not None:
        said.append(f"demo counting line '{line.name}' created on '{line.camera.name}'")
    said += [f"demo threat rule '{rule.name}' created" for rule in rule_demo_seed()]
    rule = rule_demo_cameras_seed(cameras)
    if rule is not None:
        said.append(f"demo threat rule '{rule.name}' created on the demo cameras")
    return said


_last_failing: set[str] | None = None  # what this process last answered as down (None: not asked yet)


def health_failing(report: dict) -> set[str]:
    """The components a health report says are down (``workers.detect`` for a queue)."""
    names = ("database", "storage", "redis", "beat", "streams", "recorder", "supervisor")
    down = {name for name in names if name in report and not report[name]["ok"]}
    return down | {f"workers.{queue}" for queue, state in report.get("workers", {}).items() if not state["ok"]}


def health_changes_log(report: dict) -> None:
    """One log line when the health changes, not one per probe: a load balancer asking every few seconds
    had Django log each 503 as an error (six at every start, while the workers come up)."""
    global _last_failing
    failing = health_failing(report)
    if failing == _last_failing:
        return
    if failing:
        logger.warning("health: not ok (%s)", ", ".join(sorted(failing)))
    elif _last_failing:
        logger.info("health: ok again")
    _last_failing = failing
