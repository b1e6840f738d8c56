"""Pictures to try a model on or validate an export with: the photos shipped with ultralytics and each
camera's latest frame. Apart from ``trial``, so that the backends' validation reads them without
importing the detector."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage

from cameras import frame_store
from cameras.frames import Frame, decode_image
from cameras.models import Camera

SAMPLE_PHOTOS = {"bus.jpg": "Street with a bus (photo shipped with ultralytics)",
                 "zidane.jpg": "Two people (photo shipped with ultralytics)"}  # fmt: skip


def sample_choices() -> list[tuple[str, str]]:
    """Pictures to try a model on: the packaged photos and every camera's latest frame."""
    choices = []
    if settings.ULTRALYTICS_ASSETS is not None:
        choices += [(f"photo:{name}", label) for name, label in SAMPLE_PHOTOS.items()]
    for pk, name in Camera.objects.filter(last_frame_at__isnull=False).order_by("name").values_list("pk", "name"):
        choices.append((f"camera:{pk}", f"Latest frame of {name}"))
    return choices


def sample_frame(choice: str) -> Frame:
    """The picture behind a ``sample_choices`` value (``InvalidImage``/``FileNotFoundError`` if gone)."""
    kind, _, name = choice.partition(":")
    if kind == "photo" and name in SAMPLE_PHOTOS and settings.ULTRALYTICS_ASSETS is not None:
        return decode_image((settings.ULTRALYTICS_ASSETS / name).read_bytes())
    if kind == "camera" and name.isascii() and name.isdigit():
        path = frame_store.latest_frame_path(int(name))
        if default_storage.exists(path):
            with default_storage.open(path, "rb") as stored:
                return decode_image(stored.read())
    raise FileNotFoundError(f"{choice} is not an available sample picture")
