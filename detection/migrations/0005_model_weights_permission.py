"""Weights are code: setting them needs a permission of its own; uploads are checked and their digest kept."""

import django.core.validators
from django.db import migrations, models

import detection.weights


class Migration(migrations.Migration):
    dependencies = [("detection", "0004_clamp_out_of_range_values")]

    operations = [
        migrations.AlterModelOptions(
            name="detectionmodel",
            options={
                "ordering": ["-is_default", "name"],
                "permissions": [
                    ("manage_model_weights", "Can upload or name detection model weights (runs their code)")
                ],
            },
        ),
        migrations.AddField(
            model_name="detectionmodel",
            name="weights_sha256",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Of the uploaded weights file.",
                max_length=64,
                verbose_name="weights SHA-256",
            ),
        ),
        migrations.AlterField(
            model_name="detectionmodel",
            name="weights",
            field=models.CharField(
                blank=True,
                help_text="An ultralytics model name (yolo11n.pt), a path, or a path inside an installed package "
                "(fall_detection/models/best.pt). Ignored when a file is uploaded. Weights are code: only users "
                "with the weights permission (superusers) may set them.",
                max_length=255,
            ),
        ),
        migrations.AlterField(
            model_name="detectionmodel",
            name="weights_file",
            field=models.FileField(
                blank=True,
                help_text="Your own weights, for networks without internet access. Prefer .onnx: a .pt file is a "
                "Python pickle that runs code when loaded, so upload only .pt files you built or trust. "
                "Checked for its format and size; its SHA-256 is kept and logged.",
                upload_to="models/",
                validators=[
                    django.core.validators.FileExtensionValidator(["pt", "onnx"]),
                    detection.weights.validate_weights_file,
                ],
            ),
        ),
    ]
