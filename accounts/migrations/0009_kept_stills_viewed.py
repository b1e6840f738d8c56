"""Viewers and up see the frames snapshot cameras keep (read only, in the admin), as they see the segments."""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_recorded_segments_viewed"),
        ("cameras", "0016_kept_stills"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
