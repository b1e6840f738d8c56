from django.db import migrations, models

import cameras.models
from cameras import sources


def move_credentials_out_of_urls(apps, schema_editor):
    """Rows saved before ``Camera.save`` did this: no password stays in a URL that is shown."""
    Camera = apps.get_model("cameras", "Camera")
    for camera in Camera.objects.filter(source_url__contains="@"):
        url, username, password = sources.split_credentials(camera.source_url)
        if username or password:
            camera.source_url, camera.username = url, username or camera.username
            camera.password = password or camera.password
            camera.save(update_fields=["source_url", "username", "password"])


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0003_detection_settings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="camera",
            name="tags",
            field=models.JSONField(blank=True, default=list, validators=[cameras.models.validate_tags]),
        ),
        migrations.RunPython(move_credentials_out_of_urls, migrations.RunPython.noop),
    ]
