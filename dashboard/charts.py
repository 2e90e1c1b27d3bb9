"""The dashboard's charts: SVG drawn on the server by pygal, made fit for a strict Content-Security-Policy.

pygal writes an inline <style>, a configuration <script> and a tooltip with a style="" attribute into every
chart; the page's policy (style-src and script-src 'self') would refuse all three. So the chart is drawn as an
element tree, those three are taken out, and what they did is done without inline code: layout and text by
static/css/app.css (`.chart` rules), and each series' paint by presentation attributes (`fill=`, which the
policy does not count as a style), pointing at a pattern per series. Every series has its own pattern as well
as its own colour (solid, hatched, dotted, crossed), and its name in the legend, so the chart reads without
colour; the figures themselves are in a table beside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from .selectors import Series

CACHE_SECONDS = 24 * 3600
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


def _pattern(pattern_id: str, colour: str, mark: str) -> str:
    return (
        f'<pattern xmlns="http://www.w3.org/2000/svg" id="{pattern_id}" width="8" height="8" '
        f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>{mark}</pattern>'
    )


def bar_chart(
    name: str,
    series: Series,
    paints: dict[str, Paint],
    *,
    title: str,
    horizontal: bool = False,
    percent: bool = False,
) -> SafeString:
    """A stacked bar chart of `series` (one stack per label), as inline SVG markup without inline code.

    `name` makes the pattern ids unique on the page; `paints` gives each series' label and colour, in the
    order they stack. Drawing takes pygal about 150 ms, so the markup is cached under a hash of everything
    it is drawn from: the same figures are drawn once, new figures (a check stored today) draw anew.
    """
    key = (
        "dashboard-chart:"
        + hashlib.sha256(
            repr(
                (
                    name,
                    str(title),
                    series,
                    [(k, str(p.label), p.colour) for k, p in paints.items()],
                    horizontal,
                    percent,
                )
            ).encode()
        ).hexdigest()
    )
    if (cached := cache.get(key)) is not None:
        return mark_safe(cached)  # stored by this function: XML-serialised, every text escaped
    markup = _drawn(name, series, paints, title=title, horizontal=horizontal, percent=percent)
    cache.set(key, markup, CACHE_SECONDS)
    return mark_safe(markup)  # XML-serialised: every text escaped


def _drawn(name: str, series: Series, paints: dict[str, Paint], *, title, horizontal: bool, percent: bool) -> str:
    keys = [key for key in paints if key in series.values]
    pattern_ids = {key: f"chart-{name}-{index}" for index, key in enumerate(keys)}
    chart_class = pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    chart = chart_class(
        js=[],
        disable_xml_declaration=True,
        no_prefix=True,
        width=760,
        height=300 if not horizontal else max(160, 28 * len(series.labels) + 90),
        legend_at_bottom=True,
        legend_at_bottom_columns=len(keys),
        show_legend=True,
        print_values=horizontal,
        print_zeroes=False,
        x_label_rotation=0 if horizontal else 45,
        show_minor_x_labels=horizontal,
        x_labels_major_every=None if horizontal else 5,
        truncate_label=-1,
        truncate_legend=-1,
        range=(0, 100) if percent else None,
        value_formatter=(lambda value: f"{value:g} %") if percent else (lambda value: f"{value:g}"),
        defs=[
            _pattern(pattern_ids[key], paints[key].colour, _MARKS[index % len(_MARKS)])
            for index, key in enumerate(keys)
        ],
        classes=["pygal-chart", "chart"],
    )
    chart.x_labels = series.labels
    for key in keys:
        chart.add(str(paints[key].label), series.values[key])
    root = chart.render_tree()
    _without_inline_code(root)
    _painted(root, [pattern_ids[key] for key in keys])
    root.attrib.pop("id", None)  # empty with no_prefix; an id is not needed
    root.set("role", "img")
    root.set("aria-label", str(title))
    for element in root:
        if isinstance(element.tag, str) and element.tag.rpartition("}")[2] == "title":
            element.text = str(title)
    return _serialised(root)


def _without_inline_code(root) -> None:
    """Take out what the policy refuses: <style>, <script>, and any element with a style attribute."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
            if tag in ("style", "script") or "style" in child.attrib:
                parent.remove(child)


def _painted(root, pattern_ids: list[str]) -> None:
    """Each series' bars and legend swatch filled with its pattern, by presentation attribute."""
    for element in root.iter():
        classes = (element.get("class") or "").split()
        for index, pattern_id in enumerate(pattern_ids):
            if f"color-{index}" in classes:
                element.set("fill", f"url(#{pattern_id})")


def _serialised(root) -> str:
    try:
        from lxml import etree

        return etree.tostring(root, encoding="unicode")
    except (ImportError, TypeError):
        from xml.etree import ElementTree

        return ElementTree.tostring(root, encoding="unicode")
