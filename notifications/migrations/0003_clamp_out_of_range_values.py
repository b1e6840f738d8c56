"""Values outside the bounds added next are moved to the nearest bound first, so adding the check
constraints cannot fail on old rows (the limits are written out: a migration must not change later)."""


from django.db import migrations

from core.bounds import clamp_rows

BOUNDS = {
    "NotificationChannel": {
        "max_per_minute": (0, 10_000),
    },
    "Notification": {
        "attempts": (0, 2_147_483_647),
        "round_start": (0, 2_147_483_647),
    },
    "Delivery": {
        "attempt": (1, 2_147_483_647),
        "response_code": (0, 999),
        "duration_ms": (0, 2_147_483_647),
    },
}


def clamp(apps, schema_editor):
    for model, bounds in BOUNDS.items():
        clamp_rows(apps.get_model("notifications", model), bounds)


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_roles'),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
