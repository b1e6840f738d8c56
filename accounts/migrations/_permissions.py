"""Shared by the role migrations: make the permissions exist, then give each group its own."""

from django.contrib.auth.management import create_permissions

from accounts.roles import roles_sync


def create_roles(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations ran; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps)
