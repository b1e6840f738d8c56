from django.core.management.base import BaseCommand

from cameras.services import camera_demo_seed
from events.services import rule_demo_seed
from system.services import DEMO_ADMIN_USERNAME, demo_admin_ensure, demo_admin_password_told


class Command(BaseCommand):
    help = "Create the demo administrator (printing its password once), the demo cameras and threat rules."

    def handle(self, *args, **options) -> None:
        password = demo_admin_ensure()
        if password:
            terminal = self.stdout.isatty()
            told = demo_admin_password_told(password, terminal=terminal)  # a log gets a private file's path
            self.stdout.write(f"Created administrator '{DEMO_ADMIN_USERNAME}' {told}")
            if terminal:
                self.stdout.write("This password is shown only now.")
        created = camera_demo_seed()
        for camera in created:
            self.stdout.write(f"Created demo camera '{camera.name}' ({camera.masked_source_url})")
        for rule in rule_demo_seed():
            self.stdout.write(f"Created demo threat rule '{rule.name}'")
