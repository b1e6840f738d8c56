"""What the cameras app tells the apps above it. Listeners connect in their own ``AppConfig.ready()``."""

from django.dispatch import Signal

# A camera's health status changed (online, degraded, offline), sent inside the transaction that saved
# it: ``camera`` (saved, with its last error and last frame time) and ``previous`` (the status it had).
# Listeners: events (opens and closes the "camera offline" event), livemap (the ``camera.status`` broadcast).
camera_status_changed = Signal()

# A camera's picture froze (the same bytes for ``VIGIL_CAMERA_FROZEN_SECONDS``: frozen=True) or moves again
# (frozen=False), sent inside the transaction that saved its status (degraded while frozen) and last error.
# Listener: events (opens and closes the "picture frozen" event).
camera_picture_frozen = Signal()
