from django import forms

from cameras.models import Camera


class CameraAdminForm(forms.ModelForm):
    """Camera form whose password is write-only: never rendered, kept when left blank."""

    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave blank to keep the stored password.",
    )
    clear_password = forms.BooleanField(required=False, help_text="Remove the stored password.")

    class Meta:
        model = Camera
        fields = [
            "name", "slug", "description", "enabled", "latitude", "longitude", "address", "heading",
            "district", "tags", "source_url", "username", "password", "capture_mode",
            "capture_interval", "rtsp_transport",
        ]  # fmt: skip

    def clean_password(self) -> str:
        entered = self.cleaned_data.get("password", "")
        if not entered and self.instance.pk:
            return self.instance.password
        return entered

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_password"):
            cleaned["password"] = ""
        return cleaned
