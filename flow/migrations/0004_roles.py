"""Everyone sees areas, zones and occupancy; Operators correct occupancy; Administrators draw areas and zones."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("flow", "0003_occupancy"),
        ("accounts", "0002_api_tokens"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
