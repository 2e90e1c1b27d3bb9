"""The dashboard's charts: stacked bars as SVG, drawn on the server, with nothing a strict CSP refuses.

Our own small drawing, not a charting library: pygal, the well-kept server-side SVG library we tried first,
writes an inline <style>, a configuration <script> and style="" tooltips into every chart (all refused by
style-src and script-src 'self'), and took about 150 ms a chart here, the whole page's budget; a chart is
redrawn whenever its figures change, which while checks arrive is on every view. This draws one in well
under a millisecond. Paint is given by presentation attributes (`fill=`, which the policy does not count as
a style) pointing at a pattern per series: solid, hatched, dotted, crossed, as well as its colour, so the
chart reads without colour; layout and text come from static/css/dashboard.css. Each chart has a title for
assistive technology (`role="img"`, `aria-label`), a legend in words, a native tooltip (<title>) per bar, and
the page shows its figures as a table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import Series

WIDTH = 760
LEGEND_CHARACTER_WIDTH = 7.4
# A value is printed on a horizontal bar only where it fits; the tooltip and the table have every one.
PRINTED_VALUE_MIN_WIDTH = 40
# The marks a series can carry besides its colour, in order: nothing, hatching, dots, cross-hatching.
_MARKS = (
    "",
    '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="#ffffff" stroke-width="1.6"/>',
    '<circle cx="4" cy="4" r="1.6" fill="#ffffff"/>',
    '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#ffffff" stroke-width="1.2"/>',
)


@dataclass(frozen=True)
class Paint:
    """How one series is drawn: its label (in the legend and the table) and its colour."""

    label: str
    colour: str


def bar_chart(
    name: str,
    series: Series,
    paints: dict[str, Paint],
    *,
    title: str,
    horizontal: bool = False,
    percent: bool = False,
) -> SafeString:
    """A stacked bar chart of `series` (one stack per label) as inline SVG markup.

    `name` makes the pattern ids unique on the page; `paints` gives each series' label and colour, in the
    order they stack. Horizontal charts print each value on its bar; `percent` scales them to 100.
    """
    keys = [key for key in paints if key in series.values]
    pattern = {key: f"chart-{name}-{index}" for index, key in enumerate(keys)}
    defs = "".join(
        f'<pattern id="{pattern[key]}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{escape(paints[key].colour)}"/>{_MARKS[index % len(_MARKS)]}</pattern>'
        for index, key in enumerate(keys)
    )
    draw = _horizontal if horizontal else _vertical
    height, body = draw(series, keys, paints, pattern, percent=percent)
    legend_items, x = [], 16.0
    for index, key in enumerate(keys):
        label = str(paints[key].label)
        legend_items.append(
            f'<g class="legend" transform="translate({x:.1f},{height - 18})">'
            f'<rect class="color-{index}" width="12" height="12" fill="url(#{pattern[key]})"/>'
            f'<text x="17" y="10.5">{escape(label)}</text></g>'
        )
        x += 17 + LEGEND_CHARACTER_WIDTH * len(label) + 24  # the label's width, roughly, at 13 px
    legend = "".join(legend_items)
    return mark_safe(  # every text in it went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><defs>{defs}</defs>'
        f'<rect class="background" width="{WIDTH}" height="{height}"/>{body}<g class="legends">{legend}</g></svg>'
    )


def _vertical(series: Series, keys, paints, pattern, *, percent: bool) -> tuple[int, str]:
    left, right, top, plot_height = 52, 12, 12, 200
    plot_width = WIDTH - left - right
    count = max(len(series.labels), 1)
    totals = [sum(series.values[key][index] or 0 for key in keys) for index in range(len(series.labels))]
    top_value, step = (100, 25) if percent else _scale(max(totals, default=0))
    y = lambda value: top + plot_height - plot_height * value / top_value  # noqa: E731
    parts = ['<g class="axis y">']
    for tick in range(0, top_value + 1, step):
        parts.append(
            f'<path class="guide line{" major" if tick == 0 else ""}" d="M{left} {y(tick):.1f} h{plot_width}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}">{tick:g}{" %" if percent else ""}</text>'
        )
    parts.append('</g><g class="axis x">')
    slot = plot_width / count
    every = 1 if count <= 14 else 5
    for index, label in enumerate(series.labels):
        if index % every == 0 or index == count - 1:
            x = left + slot * (index + 0.5)
            bottom = top + plot_height + 16
            parts.append(
                f'<text x="{x:.1f}" y="{bottom}" transform="rotate(-45 {x:.1f} {bottom})">{escape(label)}</text>'
            )
    parts.append("</g>")
    for position, key in enumerate(keys):
        bars = []
        for index, label in enumerate(series.labels):
            value = series.values[key][index]
            if not value:
                continue
            below = sum(series.values[other][index] or 0 for other in keys[:position])
            x = left + slot * index + slot * 0.1
            bars.append(
                f'<rect x="{x:.1f}" y="{y(below + value):.1f}" width="{slot * 0.8:.1f}" '
                f'height="{y(below) - y(below + value):.1f}"><title>{escape(label)}: '
                f"{escape(paints[key].label)} {value:g}</title></rect>"
            )
        parts.append(
            f'<g class="series serie-{position} color-{position}" fill="url(#{pattern[key]})">{"".join(bars)}</g>'
        )
    return top + plot_height + 82, "".join(parts)


def _horizontal(series: Series, keys, paints, pattern, *, percent: bool) -> tuple[int, str]:
    left, right, top, row = 44, 12, 8, 26
    plot_width = WIDTH - left - right
    totals = [sum(series.values[key][index] or 0 for key in keys) for index in range(len(series.labels))]
    top_value = 100 if percent else _scale(max(totals, default=0))[0]
    parts = ['<g class="axis y">']
    for index, label in enumerate(series.labels):
        # The label is short (a code, where the names would not fit); its <title> gives the name in full.
        parts.append(
            f'<text x="{left - 6}" y="{top + row * index + row / 2 + 4:.1f}">{escape(label)}'
            f"<title>{escape(series.name(index))}</title></text>"
        )
    parts.append("</g>")
    for position, key in enumerate(keys):
        bars, values = [], []
        for index in range(len(series.labels)):
            value = series.values[key][index]
            if not value:
                continue
            before = sum(series.values[other][index] or 0 for other in keys[:position])
            x = left + plot_width * before / top_value
            width = plot_width * value / top_value
            shown = f"{value:g}{' %' if percent else ''}"
            bars.append(
                f'<rect x="{x:.1f}" y="{top + row * index + 3}" width="{width:.1f}" height="{row - 6}">'
                f"<title>{escape(series.name(index))}: {escape(paints[key].label)} {shown}</title></rect>"
            )
            if width >= PRINTED_VALUE_MIN_WIDTH:
                values.append(f'<text x="{x + width / 2:.1f}" y="{top + row * index + row / 2 + 4:.1f}">{shown}</text>')
        parts.append(
            f'<g class="series serie-{position} color-{position}" fill="url(#{pattern[key]})">{"".join(bars)}</g>'
            f'<g class="text-overlay">{"".join(values)}</g>'
        )
    return top + row * len(series.labels) + 36, "".join(parts)


def _scale(largest: float) -> tuple[int, int]:
    """A round top for the y axis and a step giving four or five guide lines."""
    if largest <= 4:
        return 4, 1
    magnitude = 10 ** math.floor(math.log10(largest / 4))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude * 5 >= largest)
    step = max(1, int(step))
    return int(math.ceil(largest / step) * step), step
