"""The ruled grid of a scanned table, found with numpy: deskew, ruling lines, cells and merged cells."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

MAX_SKEW = 5.0  # degrees; a page turned further is refused rather than read wrong


@dataclass
class Grid:
    """Ruling lines (pixel centres, top to bottom and left to right) and, per row, the cells it has."""

    rows: list[int]  # y of each horizontal line
    columns: list[int]  # x of each vertical line
    spans: list[list[tuple[int, int]]]  # per row band: (first, last) column index of each cell
    thickness: int  # of a ruling line, in pixels


def otsu(pixels: np.ndarray) -> int:
    """The grey level that best splits ink from paper (Otsu's method)."""
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight / total - mean) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=0.0)
    return int(np.argmax(between)) if between.max() > 0 else 0  # a blank page: nothing is ink


def skew_angle(image: Image.Image) -> float | None:
    """The small rotation (degrees, for PIL's rotate) that levels the page's lines; None when beyond MAX_SKEW."""
    small = image.copy()
    small.thumbnail((1000, 1000))
    ink = Image.fromarray(((np.asarray(small) < otsu(np.asarray(small))) * 255).astype(np.uint8))

    def score(angle: float) -> float:
        # Level text lines and rules pile their ink into few pixel rows: the row sums vary most.
        rows = np.asarray(ink.rotate(angle, resample=Image.BILINEAR), dtype=np.float64).sum(axis=1)
        return float(np.var(rows))

    # One degree further than accepted, so that a page at the limit is not mistaken for one beyond it.
    coarse = np.arange(-MAX_SKEW - 1, MAX_SKEW + 1.01, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.51, 0.05)
    best = float(max(fine, key=score))
    return None if abs(best) > MAX_SKEW + 0.25 else best


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels on a horizontal run of at least `length` ink pixels (a morphological opening along rows)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=padded[:, 1:])
    full = (padded[:, length:] - padded[:, :-length]) == length  # window starting at x is all ink
    out = np.zeros(mask.shape, dtype=bool)
    # Spread each full window back over the pixels it covers, via a running count of windows started.
    starts = np.zeros((mask.shape[0], mask.shape[1] + 1), dtype=np.int32)
    starts[:, : full.shape[1]] += full
    starts[:, length : length + full.shape[1]] -= full
    np.cumsum(starts[:, :-1], axis=1, out=starts[:, :-1])
    out |= starts[:, :-1] > 0
    return out


def _centres(profile: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """(start, end) of each stretch where the profile reaches the threshold."""
    above = np.concatenate([[False], profile >= threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))


def find_grid(ink: np.ndarray, scale: float) -> Grid | None:
    """The table's ruling lines in a binarised (True = ink), levelled page; None when there is no ruled table."""
    height, width = ink.shape
    # Join a line broken by a pixel's drift (the leftover skew) or a speck of lost toner.
    joined = ink.copy()
    joined[1:] |= ink[:-1]
    joined[:-1] |= ink[1:]
    run = max(20, int(60 * scale))  # longer than any stroke of text, shorter than the narrowest cell
    horizontal = _runs(joined, run)
    joined = ink.copy()
    joined[:, 1:] |= ink[:, :-1]
    joined[:, :-1] |= ink[:, 1:]
    vertical = _runs(joined.T, max(15, int(40 * scale))).T

    row_profile = horizontal.sum(axis=1)
    widest = row_profile.max(initial=0)
    if widest < width * 0.3:
        return None
    bands = _centres(row_profile, widest * 0.5)  # a table's rules run its full width
    if len(bands) < 2:
        return None
    rows = [int((a + b) // 2) for a, b in bands]
    thickness = int(max(b - a for a, b in bands))
    top, bottom = rows[0], rows[-1]
    column_profile = vertical[top:bottom].sum(axis=0)
    # The rules between columns stop at merged cells, but the outer ones and most inner ones run the height.
    columns = [int((a + b) // 2) for a, b in _centres(column_profile, (bottom - top) * 0.3)]
    if len(columns) < 2 or columns[-1] - columns[0] < width * 0.3:
        return None
    columns = _merge_close(columns, int(20 * scale))
    rows = _merge_close(rows, int(20 * scale))
    thickness = max(thickness, 1)

    spans = []
    reach = max(2, thickness)
    for top_line, bottom_line in zip(rows, rows[1:]):
        inner = slice(top_line + reach + 2, bottom_line - reach - 1)
        cells, first = [], 0
        for index in range(1, len(columns)):
            if index < len(columns) - 1:
                x = columns[index]
                strip = vertical[inner, max(0, x - reach - 2) : x + reach + 3].any(axis=1)
                if strip.size and strip.mean() < 0.6:
                    continue  # no rule here: the cell runs on into the next column
            cells.append((first, index - 1))
            first = index
        spans.append(cells)
    return Grid(rows, columns, spans, thickness)


def _merge_close(positions: list[int], gap: int) -> list[int]:
    """One position for rules found twice (a thick or doubled line)."""
    merged: list[int] = []
    for position in positions:
        if merged and position - merged[-1] < gap:
            merged[-1] = (merged[-1] + position) // 2
        else:
            merged.append(position)
    return merged
