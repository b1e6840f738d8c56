"""Which model fields hold a secret: the one list the admin reads to hide them and refuse lookups on them.

A field is secret-bearing when its name says so (a password, a signing secret, a token or its hash,
a key's hash), or when it is a URL that can carry credentials (``user:pass@`` or ``?pwd=``). The
admin never shows the first kind (a mask stands in) and shows the second only through
:func:`core.redact.mask_url`; no list filter or search may look into either, since a
``?password__startswith=`` that lists a row or not guesses the secret a character at a time.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models

# A field whose name contains one of these holds a secret (``password``, ``push_token_hash``, ``key_hash``).
SECRET_FIELD_FRAGMENTS = ("password", "secret", "token", "key_hash")
# URL fields that may carry credentials: shown masked, never searched or filtered on.
CREDENTIAL_URL_FIELDS = frozenset({"source_url", "url"})


def is_secret_field(field: object) -> bool:
    """Whether ``field`` (a model field) holds a secret that is never shown, not even masked."""
    if not isinstance(field, models.Field) or field.is_relation:
        return False
    name = field.name.lower()
    return any(fragment in name for fragment in SECRET_FIELD_FRAGMENTS)


def is_credential_url_field(field: object) -> bool:
    """Whether ``field`` is a URL that may carry credentials (shown through ``mask_url`` only)."""
    return isinstance(field, models.Field) and not field.is_relation and field.name.lower() in CREDENTIAL_URL_FIELDS


def is_sensitive_field(field: object) -> bool:
    """Whether no filter, search or ordering may look into ``field``."""
    return is_secret_field(field) or is_credential_url_field(field)


def lookup_touches_secret(model: type[models.Model], lookup: str) -> bool:
    """Whether the filter or search path ``lookup`` (``camera__password__startswith``) reaches a sensitive
    field of ``model`` or of a model it follows a relation to."""
    current: type[models.Model] | None = model
    for part in lookup.split("__"):
        if current is None:
            return False
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup (startswith) or a transform: the path ends
            return False
        if is_sensitive_field(field):
            return True
        current = field.related_model if field.is_relation else None
    return False
