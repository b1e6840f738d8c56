"""The labels Vigil's own models produce, as people read them; a label of another model shows as it is."""

from django.utils.translation import gettext_lazy as _

LABEL_NAMES = {
    "person": _("person"),
    "person_down": _("person down"),
    "vehicle": _("vehicle"),
    "camera_offline": _("camera offline"),
}


def label_name(label: str) -> str:
    """``person_down`` → "person down" (in the user's language)."""
    return str(LABEL_NAMES.get(label, label))
