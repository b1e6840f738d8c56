"""Captures are queued by beat's dispatcher from ``capture_due_at``, not by one beat entry per camera.

django-celery-beat walked and compared every entry on each tick: at 1,000 cameras at 5 s it sent 76 of
the 200 captures a second (bench/city.py). The per-camera entries are removed here; the cameras that
were scheduled are due at once.
"""

from django.db import migrations, models
from django.utils import timezone


def schedule_cameras(apps, schema_editor):
    Camera = apps.get_model("cameras", "Camera")
    Camera.objects.filter(enabled=True, capture_mode="interval").update(capture_due_at=timezone.now())
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__regex=r"^capture camera [0-9]+$").delete()
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})  # beat re-reads


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0013_camera_recording"),
        ("detection", "0009_verbose_names_for_translation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="capture_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="capture due at"),
        ),
        migrations.AddIndex(
            model_name="camera",
            index=models.Index(
                condition=models.Q(("capture_mode", "interval"), ("enabled", True)),
                fields=["capture_due_at"],
                name="camera_capture_due",
            ),
        ),
        migrations.RunPython(schedule_cameras, migrations.RunPython.noop),
    ]
