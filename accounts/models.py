from django.conf import settings
from django.db import models
from django.utils import timezone

from core.bounds import validate_plain_text


class ApiToken(models.Model):
    """A system's key to the API. Only the key's SHA-256 is stored: the key is shown once, when made.

    Admin URLs, logs and lists name a token by its id and the first characters of its key (its
    ``prefix``), which are not enough to use it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_plain_text],
        help_text="Which system uses it (for you to recognise it).",
    )
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token {self.prefix}… of {self.user}"
