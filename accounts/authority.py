"""Who may manage whom: nobody but a superuser hands out more than they hold.

Django's user admin lets anyone with ``auth.change_user`` tick *Superuser status*, grant any
permission, or change a superuser's password; ``auth.change_group`` lets them add any permission to
their own group. These rules close that: a user who is not a superuser
- never changes ``is_superuser``, ``is_staff`` or a user's own permissions (the admin shows them read only),
- manages (edits, deletes, gives a token to) only accounts that are not superusers, not another
  staff account (only superusers manage staff) and hold no permission they lack themselves,
- gives users only groups, and groups only permissions, that they hold themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

# Fields of a user that only a superuser may change.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")


def _names(permissions: Iterable[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def may_manage_user(actor, target) -> bool:
    """Whether ``actor`` may edit, delete or issue a token for ``target``."""
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    if target.is_staff and target.pk != actor.pk:
        return False  # another staff account: its password, token or groups would hand over its admin access
    return target.get_all_permissions() <= actor.get_all_permissions()


def may_manage_group(actor, group: Group) -> bool:
    """Whether ``actor`` may edit or delete ``group`` (one holding permissions they lack is out of reach)."""
    if actor.is_superuser:
        return True
    return _names(group.permissions.select_related("content_type")) <= actor.get_all_permissions()


def grantable_permissions(actor) -> QuerySet[Permission]:
    """The permissions ``actor`` may give a group: all for a superuser, else those they hold."""
    permissions = Permission.objects.select_related("content_type")
    if actor.is_superuser:
        return permissions
    held = actor.get_all_permissions()
    return permissions.filter(pk__in=[p.pk for p in permissions if f"{p.content_type.app_label}.{p.codename}" in held])


def grantable_groups(actor) -> QuerySet[Group]:
    """The groups ``actor`` may give a user: all for a superuser, else those holding nothing they lack."""
    if actor.is_superuser:
        return Group.objects.all()
    groups = Group.objects.prefetch_related("permissions__content_type")
    held = actor.get_all_permissions()
    return Group.objects.filter(pk__in=[g.pk for g in groups if _names(g.permissions.all()) <= held])
