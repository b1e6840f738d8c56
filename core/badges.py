"""Coloured labels for admin lists and pages: one look for statuses and severities everywhere."""

from django.utils.html import format_html

SEVERITY_COLOURS = {
    "info": "#6e7781",
    "low": "#0969da",
    "medium": "#bf8700",
    "high": "#bc4c00",
    "critical": "#cf222e",
}
EVENT_STATUS_COLOURS = {
    "new": "#cf222e",
    "acknowledged": "#bf8700",
    "dispatched": "#8250df",
    "resolved": "#1a7f37",
    "false_alarm": "#6e7781",
}
CAMERA_STATUS_COLOURS = {
    "online": "#1a7f37",
    "degraded": "#bf8700",
    "offline": "#cf222e",
    "disabled": "#6e7781",
}


GREY = "#6e7781"


def field_badge(obj, field: str, colours: dict[str, str]) -> str:
    """The badge of a choices field: its label, in the colour of its value."""
    return badge(getattr(obj, f"get_{field}_display")(), colours.get(getattr(obj, field), GREY))


def badge(text: str, colour: str) -> str:
    return format_html(
        '<span class="vigil-badge" style="background:{};color:#fff;padding:2px 8px;border-radius:8px;'
        'white-space:nowrap">{}</span>',
        colour,
        text,
    )
