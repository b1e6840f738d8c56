"""Users, groups and API tokens in the admin, with the rules of ``accounts.authority``.

A token is addressed by its id everywhere (URLs, the action log, breadcrumbs); its key is shown
once, on the page that made it, and is not stored (only its SHA-256). DRF's own token admin,
which lists keys, is removed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from accounts.api_auth import token_expires_at
from accounts.authority import (
    SUPERUSER_ONLY_FIELDS,
    grantable_groups,
    grantable_permissions,
    may_manage_group,
    may_manage_user,
)
from accounts.models import ApiToken
from accounts.services import api_token_issue

admin.site.unregister(TokenProxy)
admin.site.unregister(User)
admin.site.unregister(Group)


class _Guarded:
    """Edit and delete only what ``_may(request, obj)`` allows; the delete action refuses the rest too."""

    def _may(self, request, obj) -> bool:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or self._may(request, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or self._may(request, obj))

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(not self._may(request, obj) for obj in objs):  # "Delete selected" asks no per-row question
            perms_needed = {*perms_needed, self.opts.verbose_name}
        return deleted, counts, perms_needed, protected


@admin.register(User)
class VigilUserAdmin(_Guarded, UserAdmin):
    """Django's user admin, but a non-superuser grants nothing they lack and never touches a superuser."""

    def _may(self, request, obj) -> bool:
        return may_manage_user(request.user, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in SUPERUSER_ONLY_FIELDS if f not in fields]
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Group)
class VigilGroupAdmin(_Guarded, GroupAdmin):
    """Django's group admin, but a non-superuser gives a group only permissions they hold."""

    def _may(self, request, obj) -> bool:
        return may_manage_group(request.user, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = grantable_permissions(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not may_manage_user(self.actor, user):
            raise ValidationError(
                _(
                    "Only a superuser may issue a token for this user (a staff account, or one holding more "
                    "than you do)."
                )
            )
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(_Guarded, admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["__str__", "name", "user", "created", "last_used", "expires"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["key_start", "created", "last_used", "expires"]

    def _may(self, request, obj) -> bool:
        return may_manage_user(request.user, obj.user)

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        # Another level's tokens are not even listed: a non-superuser never sees a superuser's.
        return tokens if request.user.is_superuser else tokens.filter(user__is_superuser=False)

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else ["user", "name", "key_start", "created", "last_used", "expires"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            # Not a superuser, nor another staff account: their tokens are theirs and superusers' to make.
            kwargs["queryset"] = User.objects.filter(Q(is_staff=False) | Q(pk=request.user.pk), is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a token is made or revoked (deleted), never edited

    @admin.display(description=_("key"))
    def key_start(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(description=_("expires"))
    def expires(self, token: ApiToken) -> str:
        expires = token_expires_at(token)
        return f"{expires:%Y-%m-%d}" if expires else gettext("never")

    def save_model(self, request, obj, form, change) -> None:
        token, obj.key = api_token_issue(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created = token.pk, token.prefix, token.key_hash, token.created

    def response_add(self, request, obj, post_url_continue=None):
        """The key, on this response only (never a message: those travel in a readable cookie)."""
        expires = token_expires_at(obj)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "token": obj, "key": obj.key,
                   "title": gettext("API token for %(user)s") % {"user": obj.user},
                   "expires": f"{expires:%Y-%m-%d}" if expires else ""}  # fmt: skip
        return TemplateResponse(request, "admin/accounts/apitoken/made.html", context)
