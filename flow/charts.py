"""Charts drawn on the server as SVG: no chart library, no CDN, readable without JavaScript."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 960, 220, 44, 22, 10


def _scale(peak: float) -> float:
    """A round top for the y axis."""
    for top in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if peak <= top:
            return float(top)
    return float(peak)


def _frame(top: float, times: list[datetime], title: str) -> list[str]:
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" class="chart" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        tick = f"{top * fraction:g}".replace(".", get_format("DECIMAL_SEPARATOR"))  # 2,5 in French
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#656d76">{tick}</text>')
    if times:
        ticks = 6
        for k in range(ticks + 1):
            i = min(round(k * (len(times) - 1) / ticks), len(times) - 1)
            x = LEFT + (WIDTH - LEFT) * i / len(times)
            label = timezone.localtime(times[i]).strftime("%H:%M")
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#656d76">{label}</text>')
    return parts


def bars(times: list[datetime], series: list[tuple[str, str, list[float]]], title: str) -> SafeString:
    """Side-by-side bars per bucket: ``series`` is [(name, colour, values)]."""
    peak = max([max(values, default=0) for _, _, values in series] + [0])
    top = _scale(peak)
    parts = _frame(top, times, title)
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(times), 1)
    width = slot / len(series) * 0.9
    for k, (name, colour, values) in enumerate(series):
        for i, value in enumerate(values):
            if not value:
                continue
            h = plot_h * value / top
            x = LEFT + i * slot + k * width
            when = timezone.localtime(times[i]).strftime("%H:%M")
            parts.append(
                f'<rect x="{x:.2f}" y="{TOP + plot_h - h:.2f}" width="{max(width, 0.6):.2f}" height="{h:.2f}" '
                f'fill="{colour}"><title>{when} {escape(name)}: {value:g}</title></rect>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built here from numbers and escaped names


def line(times: list[datetime], values: list[float], title: str, colour: str = "#0a3069") -> SafeString:
    """A step line of one value per bucket."""
    top = _scale(max(values, default=0))
    parts = _frame(top, times, title)
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(times), 1)
    points = []
    for i, value in enumerate(values):
        y = TOP + plot_h * (1 - value / top)
        points += [f"{LEFT + i * slot:.1f},{y:.1f}", f"{LEFT + (i + 1) * slot:.1f},{y:.1f}"]
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built here from numbers
