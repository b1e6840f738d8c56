"""Administrators see periodic tasks but no longer add, change or delete them (superusers do)."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_token_name_plain_text"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
