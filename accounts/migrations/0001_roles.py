"""Create the Viewers, Operators and Administrators groups.

Permissions are normally created after all migrations ran; they are created here first so the
groups can be filled on a fresh database. A later migration that adds models calls
``roles_sync`` again.
"""

from django.db import migrations

from accounts.migrations._permissions import create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cameras", "0003_detection_settings"),
        ("detection", "0002_default_models"),
        ("events", "0003_event_actions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
