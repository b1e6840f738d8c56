"""API tokens in the admin: the secret is shown once, on the page that made it, and nowhere else.

A token's primary key is its secret, so Django's default log entry would keep it for good in the
admin's action log ("Recent actions"); ``ApiToken`` names it by its user, and so does the log here.
DRF's own token admin (which lists the keys) is removed.
"""

from django.contrib import admin
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.template.response import TemplateResponse
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.models import ApiToken
from vigilsite.api_auth import token_expires_at

admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    list_display = ["user", "key_start", "created", "expires"]
    readonly_fields = ["key_start", "created", "expires"]

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else ["user", "key_start", "created", "expires"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a token is made or revoked (deleted), never edited

    @admin.display(description="key")
    def key_start(self, token: Token) -> str:
        return f"{token.key[:6]}…"

    @admin.display(description="expires")
    def expires(self, token: Token) -> str:
        expires = token_expires_at(token)
        return f"{expires:%Y-%m-%d}" if expires else "never"

    def response_add(self, request, obj, post_url_continue=None):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "token": obj,
                   "title": f"API token for {obj.user}", "expires": self.expires(obj)}  # fmt: skip
        return TemplateResponse(request, "admin/accounts/apitoken/made.html", context)

    def _log(self, request, tokens, flag: int, message="") -> None:
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type_id=ContentType.objects.get_for_model(token, for_concrete_model=False).pk,
                object_id=str(token.user_id),  # this admin's URLs name a token by its user
                object_repr=str(token),
                action_flag=flag,
                change_message=message if isinstance(message, str) else "",
            )
            for token in tokens
        )

    def log_addition(self, request, obj, message) -> None:
        self._log(request, [obj], ADDITION)

    def log_deletions(self, request, queryset) -> None:
        self._log(request, queryset, DELETION)
