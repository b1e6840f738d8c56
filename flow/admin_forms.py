"""Admin forms of counting lines and zones: drawn over a camera's latest frame (typed points work too)."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from events.widgets import ZoneEditorWidget
from flow.models import CountingLine, CountingZone, validate_point


class CountingLineAdminForm(forms.ModelForm):
    """The line's start and end are edited as one drawn pair of points: [[x1, y1], [x2, y2]]."""

    points = forms.CharField(
        label=_("Line"), widget=ZoneEditorWidget(mode="line"),
        help_text=_("[[start x, start y], [end x, end y]] as fractions of the picture."),
    )  # fmt: skip

    class Meta:
        model = CountingLine
        fields = ["camera", "name", "points", "in_side", "band_px", "door", "enabled"]
        widgets = {
            "door": ZoneEditorWidget(
                empty=_("No door area: people first seen within half their height past the line count.")
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("points", "door"):
            self.fields[name].widget.follows = "id_camera"  # drawn over the chosen camera's picture
        if self.instance.pk:
            self.fields["points"].initial = json.dumps([self.instance.start, self.instance.end])

    def clean_points(self) -> list:
        try:
            points = json.loads(self.cleaned_data["points"])
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            raise ValidationError(_("Give the line as JSON: [[0.1, 0.6], [0.9, 0.6]].")) from None
        if not isinstance(points, list) or len(points) != 2:
            raise ValidationError(_("A line is two points: its start and its end."))
        for point in points:
            validate_point(point)
        if points[0] == points[1]:
            raise ValidationError(_("The line's start and end must differ."))
        return points

    def _post_clean(self) -> None:
        points = self.cleaned_data.get("points")
        if points:
            self.instance.start, self.instance.end = points
        super()._post_clean()


class CountingZoneAdminForm(forms.ModelForm):
    class Meta:
        model = CountingZone
        fields = ["camera", "name", "polygon", "enabled"]
        widgets = {"polygon": ZoneEditorWidget}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["polygon"].widget.follows = "id_camera"  # drawn over the chosen camera's picture
