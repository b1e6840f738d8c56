from rest_framework.authtoken.models import Token


class ApiToken(Token):
    """DRF's token under a name that is not the secret: a token's ``str()`` and primary key are its key,
    which Django's admin would otherwise print in messages, confirmation pages and the action log."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"
