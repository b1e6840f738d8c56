"""First-run setup of an installation."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_ADMIN_USERNAME = "admin"


@transaction.atomic
def demo_admin_ensure() -> str | None:
    """Create the demo administrator when no superuser exists; return its new password once."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username=DEMO_ADMIN_USERNAME, email="", password=password)
    return password
