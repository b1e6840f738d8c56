"""Mask credentials (``pwd=…``, ``user:pass@``) in the last errors stored before they were masked on write."""

from django.db import migrations


def mask_errors(apps, schema_editor):
    from core.redact import mask_text

    Camera = apps.get_model("cameras", "Camera")
    for camera in Camera.objects.exclude(last_error="").only("pk", "last_error").iterator():
        masked = mask_text(camera.last_error)
        if masked != camera.last_error:
            Camera.objects.filter(pk=camera.pk).update(last_error=masked)


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0008_numeric_bounds_and_plain_names"),
    ]

    operations = [migrations.RunPython(mask_errors, migrations.RunPython.noop)]
