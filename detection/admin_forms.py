from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cameras.frames import Frame, InvalidImage, decode_image
from detection.samples import sample_choices, sample_frame


class ModelTryForm(forms.Form):
    """A picture to try a model on: a sample, or one uploaded (which wins when given)."""

    sample = forms.ChoiceField(required=False)
    image = forms.FileField(required=False, help_text=_("A JPEG or PNG of your own."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample"].choices = sample_choices()

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("image")
        try:
            if upload:
                if upload.size > settings.FRAME_UPLOAD_MAX_BYTES:
                    raise InvalidImage(f"the file is larger than {settings.FRAME_UPLOAD_MAX_BYTES} bytes")
                data["frame"] = decode_image(upload.read())
            elif data.get("sample"):
                data["frame"] = sample_frame(data["sample"])
            else:
                raise forms.ValidationError(_("Choose a sample picture or upload one."))
        except (InvalidImage, FileNotFoundError) as exc:
            raise forms.ValidationError(f"This picture cannot be used: {exc}.") from exc
        return data

    @property
    def frame(self) -> Frame:
        return self.cleaned_data["frame"]
