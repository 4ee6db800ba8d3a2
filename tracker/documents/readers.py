"""Read an uploaded document into raw table rows: text layers first, OCR only for pages without one.

CSV and XLSX go through the appendix reader the command-line import uses; DOCX through python-docx;
a PDF page with text through pdfplumber's table finder; a PDF page without text, and an image, through
the cell-by-cell scan reader (scan.py). Every failure is a DocumentError with a message for the office.
"""
from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext

from ..plan.appendix import AppendixError, check_office_archive, read_rows
from ..text import nfc
from .table import Cell, DocumentError, RawRow, Reading

PDF_DPI = 300  # what the scan reader is measured at
PageDone = Callable[[int, int], None]  # (pages done, pages in all)

EXTENSIONS = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
# What a file must start with to be what its name says (a CSV is text: no signature).
SIGNATURES = {
    ".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
}


def _clean(text: str | None) -> str:
    return " ".join(nfc(text or "").split())


def read_document(path: Path, extension: str, *, max_pages: int, on_page: PageDone = lambda done, total: None) -> Reading:
    """Every table row of the document at `path`, in order; DocumentError when it cannot be read."""
    extension = extension.lower()
    if extension in (".csv", ".xlsx"):
        return _read_spreadsheet(path, extension, on_page)
    if extension == ".docx":
        return _read_docx(path, on_page)
    if extension == ".pdf":
        return _read_pdf(path, max_pages, on_page)
    if extension in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        return _read_images(path, max_pages, on_page)
    raise DocumentError(gettext("Chỉ nhận PDF, ảnh scan (PNG, JPG, TIFF), DOCX, XLSX hoặc CSV."))


def _read_spreadsheet(path: Path, extension: str, on_page: PageDone) -> Reading:
    # read_rows knows a .csv or .xlsx by its name; the stored file has none.
    named = path.with_name(path.name + extension) if path.suffix.lower() != extension else path
    try:
        if named != path:
            named.symlink_to(path)
        rows = read_rows(named)
    except AppendixError as exc:
        raise DocumentError(str(exc)) from None
    finally:
        if named != path:
            named.unlink(missing_ok=True)
    on_page(1, 1)
    return Reading([RawRow([Cell(_clean(v)) for v in row], 1) for row in rows], pages=1)


def _read_docx(path: Path, on_page: PageDone) -> Reading:
    try:
        check_office_archive(path, "DOCX")
    except AppendixError as exc:
        raise DocumentError(str(exc)) from None
    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(gettext("Không đọc được tệp DOCX: tệp hỏng hoặc không phải Word (%(reason)s).",
                                    reason=type(exc).__name__)) from None
    rows: list[RawRow] = []
    for table in document.tables:
        for row in table.rows:
            seen: set[int] = set()
            cells = []
            for cell in row.cells:  # a merged cell comes once per grid column it spans
                cells.append(Cell("" if id(cell._tc) in seen else _clean(cell.text)))
                seen.add(id(cell._tc))
            rows.append(RawRow(cells, 1))
    on_page(1, 1)
    if not rows:
        raise DocumentError(gettext("Tệp DOCX không có bảng nào: phụ lục kế hoạch phải là một bảng."))
    return Reading(rows, pages=1)


def _scan_reader():
    from .scan import read_scan_page, scans_readable

    if not scans_readable():
        raise DocumentError(gettext("Máy chủ này chưa cài chương trình đọc chữ (tesseract-ocr-vie) nên không đọc "
                                    "được bản scan; hãy tải lên DOCX, XLSX hoặc PDF có lớp chữ, hoặc nhờ quản trị "
                                    "cài đặt theo hướng dẫn triển khai."))
    return read_scan_page


def _read_pdf(path: Path, max_pages: int, on_page: PageDone) -> Reading:
    import pdfplumber
    import pypdfium2

    try:
        pdf = pdfplumber.open(path)
        total = len(pdf.pages)
    except Exception as exc:  # pdfminer raises many kinds for a broken or encrypted file
        raise DocumentError(_pdf_refusal(exc)) from None
    with pdf:
        if total == 0:
            raise DocumentError(gettext("Tệp PDF không có trang nào."))
        if total > max_pages:
            raise DocumentError(gettext("Tệp PDF có %(pages)s trang; chỉ đọc tệp đến %(limit)s trang. Hãy tách riêng "
                                        "phần phụ lục.", pages=total, limit=max_pages))
        reading = Reading(pages=total)
        rendered = None
        for number, page in enumerate(pdf.pages, start=1):
            try:
                has_text = bool(page.chars)
                tables = page.extract_tables() if has_text else []
            except Exception as exc:
                raise DocumentError(_pdf_refusal(exc)) from None
            if has_text:
                for table in tables:
                    reading.rows.extend(RawRow([Cell(_clean(v)) for v in row], number) for row in table)
            else:
                read_scan_page = _scan_reader()
                if rendered is None:
                    try:
                        rendered = pypdfium2.PdfDocument(str(path))
                    except pypdfium2.PdfiumError as exc:
                        raise DocumentError(_pdf_refusal(exc)) from None
                image = rendered[number - 1].render(scale=PDF_DPI / 72).to_pil().convert("L")
                reading.rows.extend(read_scan_page(image, number))
                reading.scanned_pages += 1
            on_page(number, total)
        if rendered is not None:
            rendered.close()
    if not reading.rows:
        raise DocumentError(gettext("Không tìm thấy bảng nào trong tệp PDF: phụ lục kế hoạch phải là một bảng có kẻ ô."))
    return reading


def _pdf_refusal(exc: Exception) -> str:
    if "password" in type(exc).__name__.lower() or "encrypt" in str(exc).lower() or "password" in str(exc).lower():
        return gettext("Tệp PDF được đặt mật khẩu; hãy tải lên bản không khóa.")
    return gettext("Không đọc được tệp PDF: tệp hỏng hoặc không phải PDF.")


def _read_images(path: Path, max_pages: int, on_page: PageDone) -> Reading:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            frames = [frame.convert("L") for _, frame in zip(range(max_pages + 1), ImageSequence.Iterator(image))]
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise DocumentError(gettext("Không đọc được ảnh: tệp hỏng, quá lớn hoặc không phải ảnh (%(reason)s).",
                                    reason=type(exc).__name__)) from None
    if len(frames) > max_pages:
        raise DocumentError(gettext("Ảnh có hơn %(limit)s trang.", limit=max_pages))
    read_scan_page = _scan_reader()
    reading = Reading(pages=len(frames), scanned_pages=len(frames))
    for number, frame in enumerate(frames, start=1):
        reading.rows.extend(read_scan_page(frame, number))
        on_page(number, len(frames))
    return reading


def signature_matches(extension: str, head: bytes) -> bool:
    """Whether a file's first bytes fit what its extension says it is."""
    return not SIGNATURES.get(extension) or head.startswith(SIGNATURES[extension])


def sniff_text(data: bytes) -> bool:
    """Whether bytes read as UTF-8 text (a CSV), not a binary file renamed."""
    try:  # an incremental decoder: the cut at 64 KiB may fall inside a character
        codecs.getincrementaldecoder("utf-8")().decode(data[:65536], final=False)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data[:65536]
