"""Values outside the bounds added next are moved to the nearest bound first, so adding the check
constraints cannot fail on old rows (the limits are written out: a migration must not change later)."""

from decimal import Decimal

from django.db import migrations

from core.bounds import clamp_rows

BOUNDS = {
    "Camera": {
        "latitude": (Decimal("-90"), Decimal("90")),
        "longitude": (Decimal("-180"), Decimal("180")),
        "heading": (0, 359),
        "capture_interval": (1, 86_400),
        "motion_threshold": (0.0, 100.0),
        "consecutive_failures": (0, 2_147_483_647),
        "last_latency_ms": (0, 2_147_483_647),
        "frame_width": (1, 67_108_864),
        "frame_height": (1, 67_108_864),
    },
}


def clamp(apps, schema_editor):
    for model, bounds in BOUNDS.items():
        clamp_rows(apps.get_model("cameras", model), bounds)


class Migration(migrations.Migration):

    dependencies = [
        ('cameras', '0005_latest_frames_by_id'),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
