"""Viewers see counting lines and crossings; Administrators draw the lines."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("flow", "0001_initial"),
        ("accounts", "0002_api_tokens"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
