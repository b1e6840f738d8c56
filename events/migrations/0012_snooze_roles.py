"""Everyone sees the snoozes; Operators end one early (they snooze from an event, which needs change_event)."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0011_rule_snoozes"),
        ("accounts", "0006_periodic_tasks_view_only"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
