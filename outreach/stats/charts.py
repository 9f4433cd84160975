"""Bar charts drawn on the server as inline SVG: no script, no CDN, readable without colour.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>`, text labels on every
group and value, a legend that names each series, and a `<title>` on every bar (a tooltip,
and what screen readers announce). All text is escaped; the numbers are also in the table
beside each chart, which is the accessible form of the same figures.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
FONT = 14
SMALL = 12
INK = "#1b1f23"
MUTED = "#55606b"
GRID = "#d5dbe1"
# Dark green and amber: apart in hue and in lightness, so they differ in grey print as well.
COLOURS = ("#1e5b2f", "#e0a100", "#0b5cad")
MAX_VALUE_LABELS = 48  # beyond this many bars, values are left to the tooltips and the table
MAX_AXIS_LABELS = 16


@dataclass(frozen=True)
class Series:
    """One measure drawn for every group: its name (in the legend) and a value per group."""

    name: str
    values: Sequence[int | float]


def text_width(text: str, size: int = FONT) -> float:
    """About how wide text is drawn: Chinese characters are square, Latin ones narrower."""
    return sum(
        size if unicodedata.east_asian_width(char) in ("W", "F") else size * 0.6 for char in text
    )


def fit(text: str, width: float, size: int = FONT) -> str:
    """The text, cut with an ellipsis when it would be wider than `width`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def nice_ceiling(value: float, steps: int = 4) -> tuple[float, float]:
    """A round top for an axis at or above `value`, and the step between its grid lines."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / steps
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    if step < 1:
        step = 1.0  # counts of people and sessions are whole numbers
    return math.ceil(value / step) * step, step


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text(
    x: float, y: float, content: str, *, size: int = FONT, anchor: str = "start", fill: str = INK
) -> Markup:
    return Markup(
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' fill="{fill}">{escape(content)}</text>'
    )


def _frame(chart_id: str, title: str, description: str, height: float, body: list) -> Markup:
    """The svg element around a chart's drawing, with its accessible name and description."""
    ident = escape(chart_id)
    return (
        Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img"'
            f' viewBox="0 0 {WIDTH} {height:.0f}" width="100%"'
            f' aria-labelledby="{ident}-title {ident}-desc"'
            f' font-family="system-ui, sans-serif">'
            f'<title id="{ident}-title">{escape(title)}</title>'
            f'<desc id="{ident}-desc">{escape(description)}</desc>'
        )
        + Markup("").join(body)
        + Markup("</svg>")
    )


def _legend(series: Sequence[Series], y: float) -> list[Markup]:
    """Coloured squares with the series' names, left to right."""
    parts, x = [], 0.0
    for index, item in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            Markup(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        )
        parts.append(_text(x + 17, y, item.name))
        x += 17 + text_width(item.name) + 24
    return parts


def _bar(x: float, y: float, width: float, height: float, colour: str, tooltip: str) -> Markup:
    return Markup(
        f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}"'
        f' height="{max(height, 0):.1f}" fill="{colour}"><title>{escape(tooltip)}</title></rect>'
    )


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    sublabels: Sequence[str] | None = None,
    number: Callable[[float], str] = _number,
) -> Markup:
    """Vertical bars, a group per label (months, days), one bar per series in each group."""
    left, top, plot_height = 52.0, 34.0, 200.0
    bottom = 44.0 if sublabels else 28.0
    plot_width = WIDTH - left - 8
    count = max(len(labels), 1)
    group = plot_width / count
    bar = min(group * 0.8 / max(len(series), 1), 48.0)
    peak, step = nice_ceiling(max((v for s in series for v in s.values), default=0))
    baseline = top + plot_height
    body = _legend(series, 14)
    ticks = round(peak / step)
    for number_of_steps in range(ticks + 1):
        value = step * number_of_steps
        y = baseline - plot_height * value / peak
        body.append(
            Markup(
                f'<line x1="{left:.1f}" x2="{WIDTH - 8:.1f}" y1="{y:.1f}" y2="{y:.1f}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
        )
        body.append(_text(left - 6, y + 4, number(value), size=SMALL, anchor="end", fill=MUTED))
    show_values = len(labels) * len(series) <= MAX_VALUE_LABELS
    every = math.ceil(len(labels) / MAX_AXIS_LABELS) or 1
    for index, label in enumerate(labels):
        start = left + group * index + (group - bar * len(series)) / 2
        for position, item in enumerate(series):
            value = item.values[index]
            height = plot_height * value / peak
            x = start + bar * position
            colour = COLOURS[position % len(COLOURS)]
            tooltip = f"{label}: {item.name} {number(value)}"
            body.append(_bar(x, baseline - height, bar - 2, height, colour, tooltip))
            if show_values and value:  # the axis already says where zero is
                body.append(
                    _text(x + (bar - 2) / 2, baseline - height - 4, number(value), size=SMALL,
                          anchor="middle")
                )  # fmt: skip
        if index % every == 0:
            middle = left + group * index + group / 2
            body.append(_text(middle, baseline + 16, fit(label, group * every), anchor="middle"))
            if sublabels and sublabels[index]:
                body.append(
                    _text(middle, baseline + 32, sublabels[index], size=SMALL, anchor="middle",
                          fill=MUTED)
                )  # fmt: skip
    return _frame(chart_id, title, description, baseline + bottom, body)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    number: Callable[[float], str] = _number,
) -> Markup:
    """Horizontal bars, a row per label (communities: long names read best this way)."""
    top, bar, gap = 30.0, 16.0, 12.0
    label_width = min(max((text_width(label) for label in labels), default=0) + 8, 220.0)
    left = label_width + 8
    value_room = 56.0
    plot_width = WIDTH - left - value_room
    peak = max((v for s in series for v in s.values), default=0) or 1
    row = bar * len(series) + gap
    body = _legend(series, 14)
    for index, label in enumerate(labels):
        y = top + row * index
        middle = y + bar * len(series) / 2
        body.append(_text(label_width, middle + 4, fit(label, label_width - 4), anchor="end"))
        for position, item in enumerate(series):
            value = item.values[index]
            width = plot_width * value / peak
            colour = COLOURS[position % len(COLOURS)]
            tooltip = f"{label}: {item.name} {number(value)}"
            bar_y = y + bar * position
            body.append(_bar(left, bar_y, width, bar - 2, colour, tooltip))
            body.append(_text(left + width + 4, bar_y + bar - 4, number(value), size=SMALL))
    height = top + row * max(len(labels), 1) + 4
    body.append(
        Markup(
            f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top - 4:.1f}" y2="{height - 4:.1f}"'
            f' stroke="{MUTED}" stroke-width="1"/>'
        )
    )
    return _frame(chart_id, title, description, height, body)
