"""The scan reader on scans of a known table: every row and column back, most cells' text exact.

The 2021 appendix is rendered to DOCX, converted to a text PDF by LibreOffice and "scanned" (rendered,
then degraded like a scanner would) at 300 and 200 dpi. Run with -s to see the figures.
"""
from __future__ import annotations

import io
import unicodedata

import pytest
from PIL import Image

from docrender import degrade, is_section, known_table, to_docx, to_scan, to_text_pdf
from tracker.documents.scan import read_scan_page
from tracker.documents.table import DocumentError

# Measured on this table (2025, tesseract 5.3 vie): 81.8 % exact cells at 300 dpi, 82.5 % at 200 dpi;
# the floor sits a little below so that a worse reader fails, not a different machine's rounding.
EXACT_FLOOR = 0.78
CER_CEILING = 0.03
SCANS = {  # dpi -> how the scanner spoils the page
    300: dict(paper=235, blur=0.6, rotate=1.0, noise=8.0, jpeg=75),
    200: dict(paper=235, blur=0.6, rotate=-1.0, noise=8.0, jpeg=75),
}


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """The known table as a text PDF's clean pages and degraded scans, made once (LibreOffice is slow)."""
    folder = tmp_path_factory.mktemp("scan")
    pdf = to_text_pdf(to_docx(known_table(), folder / "plan.docx"), folder)
    clean = {dpi: to_scan(pdf, dpi) for dpi in SCANS}
    scans = {dpi: [degrade(page, seed=number, **SCANS[dpi]) for number, page in enumerate(pages)]
             for dpi, pages in clean.items()}
    return {"clean": clean, "scans": scans, "readings": {}}


def _read(rendered, dpi):
    readings = rendered["readings"]
    if dpi not in readings:
        readings[dpi] = [read_scan_page(page, number) for number, page in enumerate(rendered["scans"][dpi], 1)]
    return readings[dpi]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _stitch(pages):
    """The pages' rows as one table: a row Word carried over a page break (no TT on the next page) joined."""
    rows, carried = [], 0
    for number, page in enumerate(pages, 1):
        for index, row in enumerate(page):
            if index == 0 and number > 1 and not row.cells[0].text and rows:
                carried += 1
                rows[-1] = [(_norm(f"{text} {cell.text}"), min((c for c in (conf, cell.confidence) if c is not None),
                                                               default=None))
                            for (text, conf), cell in zip(rows[-1], row.cells)]
            else:
                rows.append([(cell.text, cell.confidence) for cell in row.cells])
    return rows, carried


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@pytest.mark.parametrize("dpi", sorted(SCANS, reverse=True))
def test_every_row_and_column_is_read(rendered, dpi):
    pages = _read(rendered, dpi)
    known = known_table()
    raw = sum(len(page) for page in pages)
    rows, carried = _stitch(pages)
    print(f"\n{dpi} dpi: {len(pages)} pages, {raw} rows read, {carried} carried over a page break, "
          f"{len(rows)} after joining them; the table has {len(known)} (with its header)")
    assert all(len(row.cells) == 7 for page in pages for row in page)
    assert len(rows) == len(known)

    exact = errors = characters = 0
    right, wrong = [], []
    for got, want in zip(rows, known):
        for (text, confidence), expected in zip(got, want):
            text, expected = _norm(text), _norm(expected)
            exact += text == expected
            errors += _distance(text, expected)
            characters += len(expected)
            if expected:
                (right if text == expected else wrong).append(confidence if confidence is not None else -1)
            if text != expected:
                print(f"  {confidence if confidence is not None else '-':>6.6} {expected!r} -> {text!r}")
    cells = len(known) * 7
    print(f"{dpi} dpi: {exact}/{cells} cells exact ({exact / cells:.1%}), character error rate "
          f"{errors / characters:.2%}")
    for threshold in (50, 70, 90):
        caught = sum(c < threshold for c in wrong)
        flagged = sum(c < threshold for c in right)
        print(f"  confidence < {threshold}: catches {caught}/{len(wrong)} misread cells, "
              f"flags {flagged}/{len(right)} correct ones")
    assert exact / cells >= EXACT_FLOOR
    assert errors / characters <= CER_CEILING

    # A section heading is one merged cell over columns 2-7: its text in the second cell, the rest empty.
    for got, want in zip(rows, known):
        if is_section(want):
            assert got[1][0] and not any(text for text, _ in got[2:]), got


def test_rows_carry_their_strip_of_the_scan(rendered):
    for page in _read(rendered, 300):
        for row in page:
            strip = Image.open(io.BytesIO(row.image))
            assert strip.format == "JPEG" and strip.mode == "L" and strip.width <= 1400
            assert strip.width > 5 * strip.height  # across the whole table, one row high


def test_confidence_is_for_read_cells_only(rendered):
    for page in _read(rendered, 300):
        for row in page:
            for cell in row.cells:
                assert (cell.confidence is None) == (cell.text == "")
                assert cell.confidence is None or 0 <= cell.confidence <= 100


def test_a_page_without_a_table_is_refused():
    with pytest.raises(DocumentError, match="^Trang 3: không tìm thấy bảng"):
        read_scan_page(Image.new("L", (3508, 2481), 235), 3)


def test_a_page_skewed_beyond_five_degrees_is_refused(rendered):
    # Beyond the ±5° the reader levels, the rules no longer run straight: the office is asked to rescan
    # rather than given rows pieced together from a slanted grid.
    page = degrade(rendered["clean"][300][0], seed=1, rotate=8.0, noise=4.0)
    with pytest.raises(DocumentError, match="^Trang 1: không tìm thấy bảng"):
        read_scan_page(page, 1)


def test_a_page_skewed_within_five_degrees_is_read(rendered):
    page = degrade(rendered["clean"][300][0], seed=2, rotate=-4.0, blur=0.5, noise=6.0)
    rows = read_scan_page(page, 1)
    expected = _read(rendered, 300)[0]
    assert len(rows) == len(expected)
    assert [row.cells[1].text[:10] for row in rows][:4] == [_norm(r[1])[:10] for r in known_table()[:4]]
