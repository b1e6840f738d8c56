"""API tokens in the admin: the secret is shown once, when made; lists show only its start."""

from django.contrib import admin, messages
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from vigilsite.api_auth import token_expires_at

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
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

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API token for {obj.user}: {obj.key} — copy it now, it is not shown again. "
            f"Send it as the header 'Authorization: Token {obj.key[:6]}…'.",
            messages.WARNING,
        )
