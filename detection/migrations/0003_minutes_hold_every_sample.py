"""Minute buckets are now kept up to date as frames are recorded; raw samples stored before that
were only folded in when they expired, so they are folded in here."""

from collections import Counter

from django.db import migrations


def fold_raw_samples_into_minutes(apps, schema_editor):
    CountSample = apps.get_model("detection", "CountSample")
    CountMinute = apps.get_model("detection", "CountMinute")
    buckets = {}
    for camera_id, captured_at, counts in CountSample.objects.values_list("camera_id", "captured_at", "counts"):
        key = (camera_id, captured_at.replace(second=0, microsecond=0))
        if key not in buckets:
            buckets[key], _ = CountMinute.objects.get_or_create(camera_id=key[0], minute=key[1])
        bucket = buckets[key]
        bucket.samples += 1
        bucket.sums = dict(Counter(bucket.sums) + Counter(counts))
        bucket.peaks = {label: max(bucket.peaks.get(label, 0), counts.get(label, 0)) for label in bucket.peaks | counts}
    for bucket in buckets.values():
        bucket.save(update_fields=["samples", "sums", "peaks"])


class Migration(migrations.Migration):
    dependencies = [("detection", "0002_default_models")]

    operations = [migrations.RunPython(fold_raw_samples_into_minutes, migrations.RunPython.noop)]
