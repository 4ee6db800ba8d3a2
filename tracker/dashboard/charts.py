"""Charts drawn on the server as SVG: stacked bars of the six categories, readable without script and in print.

Colours and text sizes come from CSS classes (`bar-overdue`, `chart-label` …), not inline styles, so
the Content-Security-Policy needs no exception; each bar has a <title> for a tooltip and screen
readers, and every chart sits next to the table it draws.
"""
from __future__ import annotations

from markupsafe import Markup, escape


from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from ..i18n import label as vocab

# Geometry in CSS pixels, never scaled: the chart has no viewBox, so its text keeps the size the
# stylesheet gives it (≥ 11 px on a 390 px phone and in print) while bars are laid out in percent
# of whatever width the page or the printed sheet allows.
LABEL_LINE = 17  # px: a row's label sits on its own line above its bar, so it may use the full width
BAR = 14
GAP = 9
COLUMNS_HEIGHT, COLUMNS_BASE = 220, 198  # the trend chart: its height, and the baseline of its columns
MAX_LABEL = 48  # characters of a row's label (a 390 px phone's line beside the total) before "…"
PRINTED_PAGE = 900  # px: a chart taller than an A4 page cannot break across pages; print leaves it out


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _svg_open(height: int, title: str) -> str:
    tall = " chart-tall" if height > PRINTED_PAGE else ""
    return (f'<svg class="chart{tall}" width="100%" height="{height}" role="img" aria-label="{escape(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')


def _category_names() -> dict[str, str]:
    # Each category translated and escaped once a chart, not once a bar (a chart of 40 agencies has 200).
    return {name: escape(vocab(CATEGORY_LABELS[name])) for name in CATEGORIES}


def stacked_rows(rows: list[tuple[str, dict[str, int]]], title: str) -> Markup:
    """One horizontal bar a row (a section, an agency) under its label, its six categories stacked, to a
    shared scale; the row's total at the right end of its label line."""
    largest = max([sum(counts.values()) for _, counts in rows] + [1])
    names = _category_names()
    step = LABEL_LINE + BAR + GAP
    parts = [_svg_open(len(rows) * step + GAP, title)]
    for index, (label, counts) in enumerate(rows):
        top = GAP + index * step
        short = label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"
        shown = escape(label)
        parts.append(f'<text class="chart-label" x="0" y="{top + LABEL_LINE - 4}">{escape(short)}</text>'
                     f'<text class="chart-total" x="100%" y="{top + LABEL_LINE - 4}" text-anchor="end">'
                     f"{sum(counts.values())}</text>")
        x = 0.0
        for name in CATEGORIES:
            count = counts.get(name, 0)
            if not count:
                continue
            width = count / largest * 100
            parts.append(f'<rect class="bar-{name}" x="{_pct(x)}" y="{top + LABEL_LINE}" width="{_pct(width)}" '
                         f'height="{BAR}"><title>{shown}: {names[name]} {count}'
                         f"</title></rect>")
            x += width
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(columns: list[tuple[str, dict[str, int]]], title: str) -> Markup:
    """One vertical bar a date (the trend by quarter), its categories stacked from the bottom."""
    largest = max([sum(counts.values()) for _, counts in columns] + [1])
    scale = (COLUMNS_BASE - 24) / largest
    slot = 100 / max(len(columns), 1)
    names = _category_names()
    parts = [_svg_open(COLUMNS_HEIGHT, title)]
    for index, (label, counts) in enumerate(columns):
        x, y = slot * (index + 0.2), COLUMNS_BASE
        shown = escape(label)
        for name in CATEGORIES:
            count = counts.get(name, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(f'<rect class="bar-{name}" x="{_pct(x)}" y="{y:.1f}" width="{_pct(slot * 0.6)}" '
                         f'height="{h:.1f}"><title>{shown}: {names[name]} {count}'
                         f"</title></rect>")
        middle = _pct(slot * (index + 0.5))
        parts.append(f'<text class="chart-total" x="{middle}" y="{y - 5:.1f}" text-anchor="middle">'
                     f"{sum(counts.values())}</text>"
                     f'<text class="chart-label" x="{middle}" y="{COLUMNS_BASE + 17}" text-anchor="middle">'
                     f"{shown}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
