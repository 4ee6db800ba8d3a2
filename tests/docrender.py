"""Test helpers that render a known table into documents: DOCX, a text PDF, and scans of it (degraded)."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "plan-2021.csv"
SECTION = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)$")


def known_table() -> list[list[str]]:
    """The 2021 plan's appendix: its header row and every row, 7 columns, the "Ghi chú" text left out."""
    with SEED.open(encoding="utf-8", newline="") as handle:
        rows = [row[:7] + [""] * (7 - len(row[:7])) for row in csv.reader(handle)]
    # The notes are the office's remarks about an earlier OCR, long and not part of the plan itself.
    return [rows[0]] + [row[:6] + [""] for row in rows[1:]]


def is_section(row: list[str]) -> bool:
    """Whether a row of the known table is a section heading (TT a Roman numeral)."""
    return bool(SECTION.match(row[0].strip()))


def to_docx(rows: list[list[str]], path: Path) -> Path:
    """A landscape A4 Word document with `rows` as a ruled table; section rows merged over columns 2-7."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    # A little air above and below each line, as plans usually have, so the text does not touch the rules.
    style.paragraph_format.space_before = Pt(2)
    style.paragraph_format.space_after = Pt(2)
    widths = [Cm(1.3), Cm(8.2), Cm(3.8), Cm(4.0), Cm(4.0), Cm(2.9), Cm(2.5)]
    table = document.add_table(rows=0, cols=7)
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths):  # LibreOffice lays out by the grid's widths
        column.width = width
    for number, values in enumerate(rows):
        cells = table.add_row().cells
        for cell, width in zip(cells, widths):
            cell.width = width
        bold = number == 0
        if number and is_section(values):
            merged = cells[1].merge(cells[6])
            _write(cells[0], values[0], bold=True)
            _write(merged, values[1], bold=True)
            continue
        for cell, value in zip(cells, values):
            _write(cell, value, bold=bold)
    document.save(path)
    return path


def _write(cell, text: str, *, bold: bool) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.add_run(text).bold = bold


def to_text_pdf(docx_path: Path, out_dir: Path) -> Path:
    """The DOCX converted to a PDF with a text layer by LibreOffice (a private profile per call)."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="soffice-profile-") as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(docx_path)],
                       check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": profile})
    return out_dir / (Path(docx_path).stem + ".pdf")


def to_scan(pdf_path: Path, dpi: int) -> list:
    """Each page of the PDF rendered at `dpi` as a greyscale PIL image."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def degrade(image, *, seed: int, rotate: float = 0.0, blur: float = 0.0, noise: float = 0.0, paper: int = 235,
            jpeg: int | None = None):
    """The image as a scanner might give it: grey paper, turned by `rotate` degrees, blurred, noisy, JPEG'd."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    pixels = pixels * (paper / 255.0)  # white becomes the paper's grey, black stays black
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rotate:
        out = out.rotate(rotate, resample=Image.BICUBIC, expand=True, fillcolor=paper)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        pixels = np.asarray(out, dtype=np.float32) + rng.normal(0.0, noise, (out.height, out.width))
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if jpeg:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=jpeg)
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return out
