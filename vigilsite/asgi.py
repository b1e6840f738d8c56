"""ASGI entry point served by daphne: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilsite.settings")
# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from vigilsite.request_limits import install as install_request_limits  # noqa: E402
from vigilsite.routing import websocket_urlpatterns  # noqa: E402
from vigilsite.warm_start import load_and_freeze  # noqa: E402
from vigilsite.ws_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Same origin by scheme, host and port (channels' own validator compares host names only).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Body caps and a 20 s idle timeout inside daphne itself: it reads a whole body before calling us.
install_request_limits()
load_and_freeze()
