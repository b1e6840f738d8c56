"""What an operator types with a workflow action in the admin (one event or a selection)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import validate_plain_text
from events.models import TRANSITIONS, EventAction

Action = EventAction.Action


class WorkflowForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, max_length=2000
    )
    dispatched_to = forms.CharField(
        label=_("Unit or person sent"), required=False, max_length=120, validators=[validate_plain_text]
    )

    def __init__(self, action: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        # The service checks the same again; marking the fields required lets the browser say it first.
        self.fields["note"].required = TRANSITIONS[action].note_required
        if action == Action.DISPATCH:
            self.fields["dispatched_to"].required = True
        else:
            del self.fields["dispatched_to"]


def workflow_choices(allowed: list[str]) -> list[dict]:
    """The actions an event page offers, with what each needs typed in."""
    return [
        {
            "value": action,
            "label": Action(action).label,
            "note_required": TRANSITIONS[action].note_required,
            "needs_unit": action == Action.DISPATCH,
        }
        for action in allowed
    ]
