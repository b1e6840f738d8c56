"""Everyone sees who was notified of an event; Administrators manage channels and retry failed messages."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0002_api_tokens"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
