"""Reads of the detection stage for other apps' pages."""

from __future__ import annotations

from detection.models import DetectionModel


def known_labels() -> list[str]:
    """The labels the registered models can produce (their classes through their label maps), sorted:
    what a rule or a notification channel can ask for."""
    labels = {model.label_for(name) for model in DetectionModel.objects.only("classes", "label_map") for name in
              (model.classes or []) if isinstance(name, str)}  # fmt: skip
    return sorted(labels)
