from django import forms

from events.models import ThreatRule
from events.widgets import ZoneEditorWidget


class ThreatRuleAdminForm(forms.ModelForm):
    class Meta:
        model = ThreatRule
        fields = ThreatRule.EDITABLE_FIELDS
        widgets = {"zone": ZoneEditorWidget}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["zone"].widget.preferred_cameras = list(self.instance.cameras.values_list("pk", flat=True))
