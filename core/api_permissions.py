"""API permissions from Django's model permissions, reading included.

DRF's ``DjangoModelPermissions`` lets any logged-in user read; Vigil's roles give reading
(``view_*``) only to Viewers and up, so a user without it is refused the list as well.
"""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        # Views without a model (the API root) need only a login.
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)
