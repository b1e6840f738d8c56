from django.contrib.auth.decorators import permission_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from cameras import frame_store
from cameras.models import Camera


@never_cache
@permission_required("cameras.view_camera", raise_exception=True)
def camera_latest_frame(request: HttpRequest, slug: str) -> FileResponse:
    """The camera's latest frame, for thumbnails; only for users who may view cameras."""
    camera = get_object_or_404(Camera, slug=slug)
    path = frame_store.latest_frame_path(camera.pk)
    if not default_storage.exists(path):
        raise Http404("No frame yet.")
    return FileResponse(default_storage.open(path, "rb"), content_type="image/jpeg")
