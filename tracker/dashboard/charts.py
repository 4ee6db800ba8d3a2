"""Charts drawn on the server as SVG: stacked bars of the six categories, readable without script and in print.

Colours come from CSS classes (`bar-overdue` …), not inline styles, so the Content-Security-Policy
needs no exception; each bar has a <title> for a tooltip and screen readers, and every chart sits
next to the table it draws.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from flask_babel import gettext

from ..progress.categories import CATEGORIES, CATEGORY_LABELS

BAR = 18  # px, one row's bar
GAP = 8
LABEL = 190  # px for the labels of a horizontal chart
WIDTH = 640


def _segments(counts: dict[str, int], scale: float, x0: float, y: float, height: float,
              label: str) -> list[str]:
    parts, x = [], x0
    for name in CATEGORIES:
        count = counts.get(name, 0)
        if not count:
            continue
        width = count * scale
        parts.append(f'<rect class="bar-{name}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}">'
                     f"<title>{escape(label)}: {escape(gettext(CATEGORY_LABELS[name]))} {count}</title></rect>")
        x += width
    return parts


def stacked_rows(rows: list[tuple[str, dict[str, int]]], title: str) -> Markup:
    """One horizontal bar a row (a section, an agency), its six categories stacked, to a shared scale."""
    largest = max([sum(counts.values()) for _, counts in rows] + [1])
    scale = (WIDTH - LABEL - 40) / largest
    height = len(rows) * (BAR + GAP) + GAP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for index, (label, counts) in enumerate(rows):
        y = GAP + index * (BAR + GAP)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text class="chart-label" x="{LABEL - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(short)}</text>')
        parts.extend(_segments(counts, scale, LABEL, y, BAR, label))
        parts.append(f'<text class="chart-total" x="{LABEL + sum(counts.values()) * scale + 4:.1f}" '
                     f'y="{y + BAR - 5}">{sum(counts.values())}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(columns: list[tuple[str, dict[str, int]]], title: str) -> Markup:
    """One vertical bar a date (the trend by quarter), its categories stacked from the bottom."""
    chart_height, base, column, gap = 220, 200, 56, 28
    largest = max([sum(counts.values()) for _, counts in columns] + [1])
    scale = (base - 20) / largest
    width = max(WIDTH // 2, len(columns) * (column + gap) + gap)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {chart_height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for index, (label, counts) in enumerate(columns):
        x = gap + index * (column + gap)
        y = base
        for name in CATEGORIES:
            count = counts.get(name, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(f'<rect class="bar-{name}" x="{x}" y="{y:.1f}" width="{column}" height="{h:.1f}">'
                         f"<title>{escape(label)}: {escape(gettext(CATEGORY_LABELS[name]))} {count}</title></rect>")
        parts.append(f'<text class="chart-label" x="{x + column / 2}" y="{base + 15}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
