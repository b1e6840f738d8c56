"""Values outside the bounds added next are moved to the nearest bound first, so adding the check
constraints cannot fail on old rows (the limits are written out: a migration must not change later)."""

from decimal import Decimal

from django.db import migrations

from core.bounds import clamp_rows

BOUNDS = {
    "ThreatRule": {
        "min_confidence": (0.0, 1.0),
        "min_count": (1, 1_000),
        "hold_frames": (1, 3_600),
        "danger_radius_m": (0, 50_000),
        "cooldown_seconds": (0, 604_800),
        "escalate_after_minutes": (1, 10_080),
    },
    "RuleStreak": {
        "streak": (0, 2_147_483_647),
    },
    "Event": {
        "latitude": (Decimal("-90"), Decimal("90")),
        "longitude": (Decimal("-180"), Decimal("180")),
        "danger_radius_m": (0, 50_000),
        "hit_count": (0, 2_147_483_647),
        "peak_count": (0, 2_147_483_647),
    },
}


def clamp(apps, schema_editor):
    for model, bounds in BOUNDS.items():
        clamp_rows(apps.get_model("events", model), bounds)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0005_escalation'),
    ]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
