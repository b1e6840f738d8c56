"""What the cameras app tells the apps above it. Listeners connect in their own ``AppConfig.ready()``."""

from django.dispatch import Signal

# A camera's health status changed (online, degraded, offline), sent inside the transaction that saved
# it: ``camera`` (saved, with its last error and last frame time) and ``previous`` (the status it had).
# Listeners: events (opens and closes the "camera offline" event), livemap (the ``camera.status`` broadcast).
camera_status_changed = Signal()
