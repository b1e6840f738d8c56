from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_plain_text


class ApiToken(models.Model):
    """A system's key to the API. Only the key's SHA-256 is stored: the key is shown once, when made.

    Admin URLs, logs and lists name a token by its id and the first characters of its key (its
    ``prefix``), which are not enough to use it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("Which system uses it (for you to recognise it)."),
        verbose_name=_("name"),
    )
    prefix = models.CharField(
        max_length=8, editable=False, help_text=_("The key's first characters."), verbose_name=_("prefix")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("key hash"))
    created = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created"))
    last_used = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last used"))

    class Meta:
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"API token {self.prefix}… of {self.user}"
