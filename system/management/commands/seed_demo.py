from django.core.management.base import BaseCommand

from system.services import DEMO_ADMIN_USERNAME, demo_admin_ensure, demo_admin_password_told, demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo administrator (printing its password once), the demo cameras, counting line and threat "
        "rules (what bin/run does on a first run)."
    )

    def handle(self, *args, **options) -> None:
        password = demo_admin_ensure()
        if password:
            terminal = self.stdout.isatty()
            told = demo_admin_password_told(password, terminal=terminal)  # a log gets a private file's path
            self.stdout.write(f"Created administrator '{DEMO_ADMIN_USERNAME}' {told}")
            if terminal:
                self.stdout.write("This password is shown only now.")
        for line in demo_seed():
            self.stdout.write(line[0].upper() + line[1:])
