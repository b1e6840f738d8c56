"""The admin app, discovering every app's ``admin`` module except django-leaflet's.

django-leaflet's admin module imports GeoDjango (and so needs the GDAL system library) for
geometry fields. Vigil stores coordinates as two decimals and uses django-leaflet only for
its bundled Leaflet files, so skipping that one module keeps GDAL out of the install.
"""

from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

SKIPPED = {"leaflet"}


class VigilAdminConfig(SimpleAdminConfig):
    def ready(self) -> None:
        super().ready()
        for config in apps.get_app_configs():
            if config.name not in SKIPPED and module_has_submodule(config.module, "admin"):
                import_module(f"{config.name}.admin")
