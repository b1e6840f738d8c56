"""API tokens for other city systems: they expire, and each one is throttled on its own."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from accounts.services import api_token_find, api_token_used

logger = logging.getLogger(__name__)


def token_expires_at(token: ApiToken):
    """When ``token`` stops working, or None when tokens do not expire (``VIGIL_API_TOKEN_TTL_DAYS=0``)."""
    if not settings.API_TOKEN_TTL_DAYS:
        return None
    return token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, looked up by the key's digest (only that is stored); refused with
    a clear 401 once the token is older than its lifetime."""

    def authenticate_credentials(self, key: str):
        token = api_token_find(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        expires = token_expires_at(token)
        if expires is not None and expires <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"Token expired on {expires:%Y-%m-%d}; ask an administrator for a new one."
            )
        api_token_used(token=token)
        return token.user, token


class TokenRateThrottle(SimpleRateThrottle):
    """``VIGIL_API_THROTTLE_RATE`` requests per token; people on a session are not throttled.

    Counts live in the Redis cache, shared by every web process. If Redis cannot be reached the
    request is let through: the API must not fail because its rate counter did.
    """

    scope = "token"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return f"throttle:token:{request.auth.pk}"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache is Redis; an outage must not become a 500
            logger.warning("API throttle skipped: %s", exc)
            return True
