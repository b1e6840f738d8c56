"""The zone and line editor: click points over a camera's latest frame; stored as normalised points.

Rule zones and counting zones are polygons; counting lines (``mode="line"``) are two points, drawn
with an arrow towards their "in" side.
"""

from __future__ import annotations

from django import forms

from cameras.models import Camera


class ZoneEditorWidget(forms.Textarea):
    """The zone's JSON stays in a textarea (typed coordinates work too); the editor writes into it."""

    template_name = "events/widgets/zone_editor.html"

    class Media:
        js = ["events/zone_editor.js"]
        css = {"all": ["events/zone_editor.css"]}

    def __init__(self, attrs=None, mode: str = "zone", empty: str = "") -> None:
        super().__init__({"rows": 2, "cols": 60, **(attrs or {})})
        self.preferred_cameras: list[int] = []
        self.mode = mode
        self.empty = empty  # what an empty polygon means here, when not "the whole picture"
        self.follows = ""  # the id of the form's camera field, when the drawing belongs to that camera

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        cameras = list(Camera.objects.filter(last_frame_at__isnull=False).order_by("name").values("pk", "slug", "name"))
        # The rule's own cameras first: the zone is drawn over what they see.
        cameras.sort(key=lambda c: c["pk"] not in self.preferred_cameras)
        context["widget"]["cameras"] = cameras
        context["widget"]["mode"] = self.mode
        context["widget"]["empty"] = self.empty
        context["widget"]["follows"] = self.follows
        return context
