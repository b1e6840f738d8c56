"""Values outside the bounds added next are moved to the nearest bound first, so adding the check
constraints cannot fail on old rows (the limits are written out: a migration must not change later)."""


from django.db import migrations

from core.bounds import clamp_rows

BOUNDS = {
    "Crossing": {
        "track_id": (0, 2_147_483_647),
    },
    "CrossingMinute": {
        "entries": (0, 2_147_483_647),
        "exits": (0, 2_147_483_647),
    },
    "Area": {
        "capacity": (0, 1_000_000),
    },
    "Occupancy": {
        "current": (0, 2_147_483_647),
        "entries": (0, 2_147_483_647),
        "exits": (0, 2_147_483_647),
    },
    "OccupancyMinute": {
        "value": (0, 2_147_483_647),
        "peak": (0, 2_147_483_647),
    },
    "OccupancyCorrection": {
        "previous": (0, 2_147_483_647),
        "value": (0, 2_147_483_647),
    },
}


def clamp(apps, schema_editor):
    for model, bounds in BOUNDS.items():
        clamp_rows(apps.get_model("flow", model), bounds)


class Migration(migrations.Migration):

    dependencies = [
        ('flow', '0004_roles'),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
