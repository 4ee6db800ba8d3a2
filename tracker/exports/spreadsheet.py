"""The quarterly report as XLSX (XlsxWriter, written row by row in constant memory) and as CSV.

Sheet 1 is the appendix's layout (TT | Nội dung công việc | Chỉ đạo | Cơ quan thực hiện | Cơ quan phối
hợp | Thời gian) with, per executing body, its status, progress, completion date and latest note;
sheet 2 the per-agency counts; sheet 3 the counts by section. A4 landscape, fitted to the page's
width, header row repeated on every printed page. Every text is written as text, never as a formula.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

import xlsxwriter

from ..clock import vn_date
from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from .quarterly import AppendixRow, QuarterlyReport, appendix_rows, category_label, neutral, status_label

APPENDIX_COLUMNS = [
    ("TT", 7), ("Nội dung công việc", 48), ("Chỉ đạo", 16), ("Cơ quan thực hiện", 22), ("Cơ quan phối hợp", 22),
    ("Thời gian", 14), ("Hạn", 11), ("Tình hình chung", 18),
    ("Cơ quan báo cáo", 22), ("Tình hình của cơ quan", 18), ("Trạng thái", 13), ("Tiến độ (%)", 9),
    ("Ngày hoàn thành", 12), ("Ghi chú mới nhất", 40),
]


def write_xlsx(report: QuarterlyReport) -> bytes:
    """The report as an XLSX file's bytes."""
    with tempfile.TemporaryFile() as spool:
        book = xlsxwriter.Workbook(spool, {"constant_memory": True, "in_memory": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
        formats = _formats(book)
        _appendix_sheet(book, formats, report)
        _matrix_sheet(book, formats, "Theo cơ quan", "Cơ quan thực hiện (theo dòng của mình)", report.agencies, report)
        _matrix_sheet(book, formats, "Theo mục", "Mục", report.sections, report)
        book.close()
        spool.seek(0)
        return spool.read()


def _formats(book) -> dict:
    base = {"font_name": "Times New Roman", "font_size": 11, "text_wrap": True, "valign": "top", "border": 1}
    return {
        "title": book.add_format({"font_name": "Times New Roman", "bold": True, "font_size": 14}),
        "meta": book.add_format({"font_name": "Times New Roman", "italic": True}),
        "head": book.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#E8EEF5"}),
        "section": book.add_format({**base, "bold": True, "bg_color": "#F3F5F7"}),
        "text": book.add_format(base),
        "number": book.add_format({**base, "align": "right"}),
        "overdue": book.add_format({**base, "font_color": "#A8201A", "bold": True}),
    }


def _page_setup(sheet, header_row: int) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
    sheet.repeat_rows(header_row)
    sheet.set_footer("&CTrang &P/&N")


def _appendix_sheet(book, formats, report: QuarterlyReport) -> None:
    sheet = book.add_worksheet("Phụ lục")
    sheet.write_string(0, 0, report.title, formats["title"])
    sheet.write_string(1, 0, f"Số liệu tính đến ngày {vn_date(report.period.as_of)}", formats["meta"])
    sheet.set_row(3, LINE_HEIGHT * 2)
    for column, (name, width) in enumerate(APPENDIX_COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write_string(3, column, name, formats["head"])
    _page_setup(sheet, 3)
    sheet.freeze_panes(4, 2)
    row_number = 4
    for item in appendix_rows(report.plan, report.period.as_of):
        if isinstance(item, tuple):
            sheet.set_row(row_number, LINE_HEIGHT * 1.3)
            sheet.merge_range(row_number, 0, row_number, len(APPENDIX_COLUMNS) - 1, neutral(item[1]), formats["section"])
        else:
            _appendix_row(sheet, formats, row_number, item)
        row_number += 1


LINE_HEIGHT = 15  # points, one line of 11-point text


def _lines_needed(value: str, width: int) -> int:
    """How many lines a wrapped text takes in a column (about 1.2 characters of Times per width unit)."""
    per_line = max(1, int(width * 1.2))
    return sum(max(1, -(-len(part) // per_line)) for part in (value or "").split("\n"))


def _appendix_row(sheet, formats, row_number: int, row: AppendixRow) -> None:
    text, number = formats["text"], formats["number"]
    task_cells = [row.code, row.title, row.lead, row.executing, row.coordinating, row.timeline,
                  vn_date(row.due_on) if row.due_on else "", category_label(row.task_category)]
    if not row.first_of_task:
        task_cells = [row.code] + [""] * (len(task_cells) - 1)
    # XlsxWriter cannot measure text; without a height, wrapped cells print over the next row.
    widths = [width for _, width in APPENDIX_COLUMNS]
    cells = [*task_cells, row.agency, category_label(row.line_category), row.note or ""]
    columns = [*range(8), 8, 9, 13]
    lines = max(_lines_needed(value, widths[column]) for value, column in zip(cells, columns))
    if lines > 1:
        sheet.set_row(row_number, LINE_HEIGHT * lines)
    for column, value in enumerate(task_cells):
        sheet.write_string(row_number, column, neutral(value or ""), text)
    own = formats["overdue"] if row.line_category == "overdue" else text
    sheet.write_string(row_number, 8, neutral(row.agency), text)
    sheet.write_string(row_number, 9, category_label(row.line_category), own)
    sheet.write_string(row_number, 10, status_label(row.status) if row.status else "", text)
    if row.progress is None:
        sheet.write_blank(row_number, 11, None, number)
    else:
        sheet.write_number(row_number, 11, row.progress, number)
    sheet.write_string(row_number, 12, vn_date(row.completed_on) if row.completed_on else "", text)
    sheet.write_string(row_number, 13, neutral(row.note or ""), text)


def _matrix_sheet(book, formats, name: str, first: str, rows, report: QuarterlyReport) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, f"{report.title}: {name.lower()}", formats["title"])
    sheet.write_string(1, 0, f"Số liệu tính đến ngày {vn_date(report.period.as_of)}", formats["meta"])
    headers = [first, *(CATEGORY_LABELS[c] for c in CATEGORIES), "Cộng"]
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, len(headers) - 1, 14)
    for column, header in enumerate(headers):
        sheet.write_string(3, column, header, formats["head"])
    _page_setup(sheet, 3)
    for offset, row in enumerate(rows, start=4):
        sheet.write_string(offset, 0, neutral(row.label), formats["text"])
        for column, category in enumerate(CATEGORIES, start=1):
            sheet.write_number(offset, column, row.counts[category], formats["number"])
        sheet.write_number(offset, len(headers) - 1, row.total, formats["number"])


TASK_CSV = ["TT", "Mục", "Nội dung công việc", "Chỉ đạo", "Cơ quan thực hiện", "Cơ quan phối hợp", "Thời gian", "Hạn",
            "Tình hình"]
LINE_CSV = ["TT", "Mục", "Nội dung công việc", "Cơ quan", "Tình hình của cơ quan", "Trạng thái", "Tiến độ (%)",
            "Ngày hoàn thành", "Ghi chú mới nhất"]


def csv_rows(report: QuarterlyReport, lines: bool) -> Iterator[str]:
    """The tasks (one row each) or the bodies' lines as CSV text, streamed; UTF-8 with a BOM so Excel reads
    the diacritics."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(LINE_CSV if lines else TASK_CSV)
    yield "\ufeff" + flush()
    for count, item in enumerate(appendix_rows(report.plan, report.period.as_of)):
        if isinstance(item, tuple):
            continue
        if lines and item.agency:
            writer.writerow([neutral(v) for v in (
                item.code, item.section, item.title, item.agency, category_label(item.line_category),
                status_label(item.status), str(item.progress), vn_date(item.completed_on) if item.completed_on else "",
                item.note or "")])
        elif not lines and item.first_of_task:
            writer.writerow([neutral(v or "") for v in (
                item.code, item.section, item.title, item.lead, item.executing, item.coordinating, item.timeline,
                vn_date(item.due_on) if item.due_on else "", category_label(item.task_category))])
        if count % 500 == 0:
            yield flush()
    yield flush()
