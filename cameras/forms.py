from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cameras import sources
from cameras.models import Camera
from core import redact
from core.forms import NamesFormField


class CameraAdminForm(forms.ModelForm):
    """Camera form whose password is write-only: never rendered, kept when left blank; the same for
    credentials in the source URL's query string."""

    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave blank to keep the stored password."),
    )
    clear_password = forms.BooleanField(required=False, help_text=_("Remove the stored password."))

    class Meta:
        model = Camera
        fields = [
            "name", "slug", "description", "enabled", "latitude", "longitude", "address", "heading",
            "district", "tags", "source_url", "username", "password", "capture_mode",
            "capture_interval", "rtsp_transport",
        ]  # fmt: skip
        field_classes = {"tags": NamesFormField}
        help_texts = {"tags": "Short tags separated by commas, e.g. entrance, night."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            used = {tag for tags in Camera.objects.values_list("tags", flat=True)[:5000] for tag in (tags or [])}
            self.fields["tags"].suggestions = sorted(t for t in used if isinstance(t, str))
        if self.instance.pk and "source_url" in self.fields:
            # Credential parameters (?pwd=…) are write-only too: shown masked, kept when sent back masked.
            self.initial["source_url"] = redact.mask_url(self.instance.source_url)
            kept = gettext("Credentials in the query (pwd=***) are kept unless retyped.")
            self.fields["source_url"].help_text = f"{self.fields['source_url'].help_text} {kept}"

    def clean_source_url(self) -> str:
        stored = self.instance.source_url if self.instance.pk else ""
        return redact.unmask_url(self.cleaned_data.get("source_url", ""), stored)

    def clean_password(self) -> str:
        entered = self.cleaned_data.get("password", "")
        if not entered and self.instance.pk:
            return self.instance.password
        return entered

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_password"):
            cleaned["password"] = ""
        elif self.instance.pk and "source_url" in cleaned and "password" in self.fields:
            url = cleaned["source_url"]
            typed = bool(self.data.get(self.add_prefix("password")) or sources.split_credentials(url)[2])
            if not typed and sources.password_must_be_retyped(self.instance, url):
                self.add_error("password", PASSWORD_ADDRESS_CHANGED)
        return cleaned


PASSWORD_ADDRESS_CHANGED = "The address changed: type the password for the new address again, or tick “Clear password”."  # noqa: S105 - a message, not a password
