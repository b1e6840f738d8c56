import logging
import sys
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from system import runner
from system.services import DEMO_ADMIN_USERNAME, demo_admin_ensure, demo_admin_password_told, demo_seed


class Command(BaseCommand):
    help = "Run Vigil: migrate, seed the demo, then supervise Redis, daphne, the workers and beat."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address daphne listens on")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="skip the demo administrator and cameras")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        runner.say("vigil", "database is up to date")
        wildcard = host in ("0.0.0.0", "::")  # noqa: S104 - only to print a reachable address
        url = f"http://{'127.0.0.1' if wildcard else host}:{port}/"
        login = f"log in at {url} "
        if settings.DEMO and not no_demo:
            password = demo_admin_ensure()
            # The password itself only on a terminal: a log keeps it (and ships it) for good.
            terminal = sys.stdout.isatty()
            told = demo_admin_password_told(password, terminal=terminal) if password else ""
            if password:
                # Said at once too, so it is not lost if a later step fails.
                runner.say("vigil", f"created administrator '{DEMO_ADMIN_USERNAME}' {told}")
            with _quiet("events.rules"):
                for line in demo_seed():
                    runner.say("vigil", line)
            if password:
                login += f"as '{DEMO_ADMIN_USERNAME}' {told}" + (" (shown only this once)" if terminal else "")
            else:
                login += (
                    f"as '{DEMO_ADMIN_USERNAME}' (password shown at first run; reset it with "
                    f"'python manage.py changepassword {DEMO_ADMIN_USERNAME}')"
                )
        else:
            login += "(create an administrator with 'python manage.py createsuperuser')"
        try:
            children = runner.plan(host=host, port=port)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        supervisor = runner.Supervisor(
            children,
            cwd=settings.BASE_DIR,
            health_url=f"{url}healthz",
            login_message=login,
        )
        raise SystemExit(supervisor.run())


@contextmanager
def _quiet(name: str):
    """Silence a logger's warnings for a while: the demo is seeded before the embedded Redis starts, when no
    process holds the rules yet, so each seeded rule's "rules version not moved" would be noise on a first run."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
