from rest_framework import serializers

from detection.models import DetectionModel


class DetectionModelSerializer(serializers.ModelSerializer):
    """A detection model as API clients see it: settings, classes and whether it loads."""

    weights = serializers.SerializerMethodField(help_text="The weights' name, or the uploaded file's name.")

    class Meta:
        model = DetectionModel
        fields = [
            "id", "name", "weights", "device", "backend", "precision", "image_size", "confidence", "iou",
            "label_map", "keep_labels", "is_default", "classes", "last_error", "backend_status", "loaded_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_weights(self, model: DetectionModel) -> str:
        return model.weights_file.name.rsplit("/", 1)[-1] if model.weights_file else model.weights
