"""Register the models a fresh install can use: one that works offline, and the usual COCO one."""

from django.db import migrations

OFFLINE = {
    "name": "People and people down (offline)",
    "weights": "fall_detection/models/best.pt",
    "label_map": {"Normal": "person", "Fall": "person_down"},
    "keep_labels": [],
    "is_default": True,
}
COCO = {
    "name": "COCO YOLO11n",
    "weights": "yolo11n.pt",
    "label_map": {"car": "vehicle", "truck": "vehicle", "bus": "vehicle", "motorcycle": "vehicle"},
    "keep_labels": ["person", "vehicle", "bicycle", "backpack", "handbag", "suitcase", "knife"],
    "is_default": False,
}


def register(apps, schema_editor):
    DetectionModel = apps.get_model("detection", "DetectionModel")
    for values in (OFFLINE, COCO):
        DetectionModel.objects.get_or_create(name=values["name"], defaults=values)


def unregister(apps, schema_editor):
    DetectionModel = apps.get_model("detection", "DetectionModel")
    DetectionModel.objects.filter(name__in=[OFFLINE["name"], COCO["name"]]).delete()


class Migration(migrations.Migration):
    dependencies = [("detection", "0001_initial")]
    operations = [migrations.RunPython(register, unregister)]
