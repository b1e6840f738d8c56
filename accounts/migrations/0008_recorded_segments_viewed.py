"""Viewers and up see the recorded segments (read only, in the admin)."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_verbose_names_for_translation"),
        ("recordings", "0002_segment_verbose_names"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
