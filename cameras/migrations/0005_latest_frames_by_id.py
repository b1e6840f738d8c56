from django.core.files.storage import default_storage
from django.db import migrations

OLD_FOLDER = "cameras"  # cameras/<slug>/latest.jpg, named by slug until this migration


def move_latest_frames_to_ids(apps, schema_editor):
    """Latest frames were named by slug, so a new camera reusing a deleted camera's name served the old
    picture: move each camera's frame to its id-named path and delete the frames of deleted cameras."""
    Camera = apps.get_model("cameras", "Camera")
    try:
        slugs, _ = default_storage.listdir(OLD_FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return
    ids = dict(Camera.objects.values_list("slug", "pk"))
    for slug in slugs:
        old = f"{OLD_FOLDER}/{slug}/latest.jpg"
        if not default_storage.exists(old):
            continue
        if slug in ids:
            new = f"latest-frames/{ids[slug]}.jpg"
            with default_storage.open(old, "rb") as picture:
                if default_storage.exists(new):
                    default_storage.delete(new)
                default_storage.save(new, picture)
        default_storage.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0004_camera_tags_validated"),
    ]

    operations = [
        migrations.RunPython(move_latest_frames_to_ids, migrations.RunPython.noop, elidable=True),
    ]
