"""The admin app, discovering every app's ``admin`` module except django-leaflet's.

django-leaflet's admin module imports GeoDjango (and so needs the GDAL system library) for
geometry fields. Vigil stores coordinates as two decimals and uses django-leaflet only for
its bundled Leaflet files, so skipping that one module keeps GDAL out of the install.

Every admin action needs a permission: Django offers an action without ``permissions=`` to anyone
who can open the list, Viewers included. Actions of other packages that name none (django-celery-
beat's *Run selected tasks*, axes' *Clean up expired attempts*) are given ``change`` here.
"""

from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

SKIPPED = {"leaflet"}


class VigilAdminConfig(SimpleAdminConfig):
    # Every ModelAdmin registered on it gets a change list that refuses bad filter values cleanly.
    default_site = "vigilsite.admin_query.VigilAdminSite"

    def ready(self) -> None:
        from django.contrib import admin

        super().ready()
        for config in apps.get_app_configs():
            if config.name not in SKIPPED and module_has_submodule(config.module, "admin"):
                import_module(f"{config.name}.admin")
        admin_actions_require_permissions(admin.site)


def admin_actions_require_permissions(site, default: tuple[str, ...] = ("change",)) -> None:
    """Give each registered action that names no permission ``default``, so none is open to every viewer."""
    for model_admin in site._registry.values():
        for action in model_admin.actions or ():
            func = action if callable(action) else getattr(type(model_admin), action, None)
            if func is not None and not getattr(func, "allowed_permissions", None):
                func.allowed_permissions = default
