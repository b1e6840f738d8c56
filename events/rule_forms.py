from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import NamesFormField
from core.vision import known_labels
from events.models import ThreatRule
from events.widgets import ZoneEditorWidget


class ThreatRuleAdminForm(forms.ModelForm):
    class Meta:
        model = ThreatRule
        fields = ThreatRule.EDITABLE_FIELDS
        widgets = {"zone": ZoneEditorWidget}
        field_classes = {"labels": NamesFormField}
        help_texts = {"labels": _("Labels separated by commas, e.g. person, person_down.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "labels" in self.fields:
            self.fields["labels"].suggestions = known_labels()
        if self.instance.pk:
            self.fields["zone"].widget.preferred_cameras = list(self.instance.cameras.values_list("pk", flat=True))
