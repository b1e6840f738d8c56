"""Values outside the bounds added next are moved to the nearest bound first, so adding the check
constraints cannot fail on old rows (the limits are written out: a migration must not change later)."""


from django.db import migrations

from core.bounds import clamp_rows

BOUNDS = {
    "DetectionModel": {
        "image_size": (32, 4_096),
        "confidence": (0.0, 1.0),
        "iou": (0.0, 1.0),
    },
    "CountSample": {
        "total": (0, 2_147_483_647),
        "inference_ms": (0, 2_147_483_647),
    },
    "CountMinute": {
        "samples": (0, 2_147_483_647),
    },
}


def clamp(apps, schema_editor):
    for model, bounds in BOUNDS.items():
        clamp_rows(apps.get_model("detection", model), bounds)


class Migration(migrations.Migration):

    dependencies = [
        ('detection', '0003_minutes_hold_every_sample'),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
