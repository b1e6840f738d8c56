"""The channel form: the webhook secret can be set or replaced, never read back."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from cameras.models import Camera
from core import redact
from core.forms import NamesFormField
from core.vision import known_labels
from notifications.models import NotificationChannel


class NotificationChannelForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Webhook: the HMAC key receivers verify X-Vigil-Signature with. Leave empty to keep the "
            "current one; on a new webhook, empty makes a random one, shown once after saving."
        ),
    )

    class Meta:
        model = NotificationChannel
        fields = [
            "name", "kind", "enabled", "recipients", "url", "secret", "on_open", "on_escalation", "min_severity",
            "labels", "cameras", "districts", "active_from", "active_until", "max_per_minute",
        ]  # fmt: skip
        field_classes = {"labels": NamesFormField, "districts": NamesFormField}
        help_texts = {
            "labels": _("Labels separated by commas (empty: every label), e.g. person, person_down."),
            "districts": _("Districts separated by commas (empty: every district)."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.generated_secret = ""
        if "labels" in self.fields:
            self.fields["labels"].suggestions = known_labels()
        if "districts" in self.fields:
            districts = Camera.objects.exclude(district="").values_list("district", flat=True).distinct()
            self.fields["districts"].suggestions = sorted(districts[:500])
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].widget.attrs["placeholder"] = "•••••••• (set; type a new one to replace it)"
        if self.instance.pk and self.instance.url and "url" in self.fields:
            # Tokens in the receiver's URL (?token=…) are write-only like the secret: shown masked, kept.
            self.initial["url"] = redact.mask_url(self.instance.url)

    def clean_url(self) -> str:
        return redact.unmask_url(self.cleaned_data.get("url", ""), self.instance.url if self.instance.pk else "")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("secret"):
            if self.instance.pk and self.instance.secret:
                data["secret"] = self.instance.secret
            elif data.get("kind") == NotificationChannel.Kind.WEBHOOK:
                data["secret"] = self.generated_secret = secrets.token_urlsafe(32)
        return data
