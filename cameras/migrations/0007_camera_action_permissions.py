"""Testing, capturing from and issuing push tokens for cameras get permissions of their own."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cameras", "0006_clamp_out_of_range_values")]

    operations = [
        migrations.AlterModelOptions(
            name="camera",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("capture_camera", "Can test and capture from cameras now"),
                    ("issue_push_token", "Can issue a new push token (the edge device's old one stops working)"),
                ],
            },
        ),
    ]
