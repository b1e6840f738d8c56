"""Writes on accounts: API tokens are issued here (the key exists only in the return value)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import ApiToken

LAST_USED_EVERY = timedelta(minutes=1)  # a busy token is not written on every request


def api_token_hash(key: str) -> str:
    """The stored form of a key: a SHA-256 of a 160-bit random key cannot be turned back into it."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_issue(*, user: AbstractBaseUser, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with its key, which is not kept anywhere."""
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=api_token_hash(key))
    return token, key


def api_token_find(*, key: str) -> ApiToken | None:
    """The token whose key is ``key`` (looked up by its digest), with its user, or None."""
    return ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()


def api_token_used(*, token: ApiToken) -> None:
    """Record that ``token`` was used now, at most once a minute."""
    now = timezone.now()
    if token.last_used is None or now - token.last_used >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
