"""Login is required everywhere unless a view opts out (``/healthz``, the login page)."""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's login-required middleware, leaving ``/api/`` to DRF.

    API clients authenticate with tokens that only DRF understands; DRF's default
    ``IsAuthenticated`` permission refuses anonymous calls there with a JSON 401/403
    instead of a redirect to an HTML login page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
