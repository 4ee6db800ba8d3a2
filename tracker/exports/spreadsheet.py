"""The quarterly report as XLSX (written row by row by exports.xlsx) and as CSV.

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
from typing import IO

from ..clock import vn_date
from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from .quarterly import AppendixRow, QuarterlyReport, appendix_rows, category_label, neutral, status_label
from .xlsx import Sheet, Workbook

APPENDIX_COLUMNS = [
    ("TT", 7), ("Nội dung công việc", 48), ("Chỉ đạo", 16), ("Cơ quan thực hiện", 22), ("Cơ quan phối hợp", 22),
    ("Thời gian", 14), ("Hạn", 11), ("Tình hình chung", 18),
    ("Cơ quan báo cáo", 22), ("Tình hình của cơ quan", 18), ("Trạng thái", 13), ("Tiến độ (%)", 9),
    ("Ngày hoàn thành", 12), ("Ghi chú mới nhất", 40),
]
WIDTHS = [width for _, width in APPENDIX_COLUMNS]
HEADER_ROW = 3  # 0-based: the title, the date, a blank row, then the header
LINE_HEIGHT = 15  # points, one line of 11-point text
# Characters of Times New Roman 11 pt per unit of column width, a little under, to leave room.
PER_LINE = [max(1, int(width * 1.05)) for width in WIDTHS]


def write_xlsx(report: QuarterlyReport) -> IO[bytes]:
    """The report as an XLSX file: a temporary file, at its start, for the response to stream and close."""
    book = Workbook()
    _appendix_sheet(book, report)
    _matrix_sheet(book, "Theo cơ quan", "Cơ quan thực hiện (theo dòng của mình)", report.agencies, report)
    _matrix_sheet(book, "Theo mục", "Mục", report.sections, report)
    if report.indicators:
        _indicator_sheet(book, report)
        _district_sheet(book, report)
    spool = tempfile.TemporaryFile()
    book.save(spool)
    spool.seek(0)
    return spool


def _title_rows(sheet: Sheet, title: str, report: QuarterlyReport) -> None:
    sheet.row([(title, "title")], height=20)
    sheet.row([(f"Số liệu tính đến ngày {vn_date(report.period.as_of)}", "meta")])
    sheet.row([])


def _appendix_sheet(book: Workbook, report: QuarterlyReport) -> None:
    sheet = book.add_sheet("Phụ lục", WIDTHS, print_title_row=HEADER_ROW, freeze=(HEADER_ROW + 1, 2))
    _title_rows(sheet, report.title, report)
    sheet.row([(name, "head") for name, _ in APPENDIX_COLUMNS], height=LINE_HEIGHT * 2)
    last = len(APPENDIX_COLUMNS) - 1
    for item in appendix_rows(report.plan, report.period.as_of):
        if isinstance(item, tuple):
            sheet.row([(neutral(item[1]), "section")] + [("", "section")] * last, height=LINE_HEIGHT * 1.3)
            sheet.merge_row(0, last)
        else:
            _appendix_row(sheet, item)


# The columns whose text can wrap (the code, the dates and numbers never do).
WRAPPING = (1, 2, 3, 4, 5, 7, 8, 9)


def _lines_needed(value: str, column: int) -> int:
    """How many lines a wrapped text takes in a column: without a height, wrapped cells print over the next row."""
    if len(value) <= PER_LINE[column] and "\n" not in value:
        return 1
    return sum(max(1, -(-len(part) // PER_LINE[column])) for part in value.split("\n"))


_DATES: dict = {}


def _day(value) -> str:
    """dd/mm/yyyy, each date formatted once per process (a plan has a few hundred distinct dates)."""
    if value is None:
        return ""
    found = _DATES.get(value)
    if found is None:
        found = _DATES[value] = vn_date(value)
    return found


def _appendix_row(sheet: Sheet, row: AppendixRow) -> None:
    if row.first_of_task:
        task = [neutral(row.code), neutral(row.title), neutral(row.lead or ""), neutral(row.executing or ""),
                neutral(row.coordinating or ""), neutral(row.timeline or ""), _day(row.due_on),
                category_label(row.task_category)]
    else:
        task = [row.code, "", "", "", "", "", "", ""]
    note = neutral(row.note or "")
    own = category_label(row.line_category)
    texts = task + [neutral(row.agency), own]
    lines = max([_lines_needed(texts[column], column) for column in WRAPPING] + [_lines_needed(note, 13)])
    cells = [(value, "text") for value in texts]
    cells[9] = (own, "overdue" if row.line_category == "overdue" else "text")
    cells += [(status_label(row.status) if row.status else "", "text"),
              (row.progress if row.progress is not None else "", "number"),
              (_day(row.completed_on), "text"), (note, "text")]
    sheet.row(cells, height=LINE_HEIGHT * lines if lines > 1 else None)


def _matrix_sheet(book: Workbook, name: str, first: str, rows, report: QuarterlyReport) -> None:
    headers = [first, *(CATEGORY_LABELS[c] for c in CATEGORIES), "Cộng"]
    sheet = book.add_sheet(name, [40] + [14] * (len(headers) - 1), print_title_row=HEADER_ROW)
    _title_rows(sheet, f"{report.title}: {name.lower()}", report)
    sheet.row([(header, "head") for header in headers], height=LINE_HEIGHT * 3)
    for row in rows:
        sheet.row([(neutral(row.label), "text"), *((row.counts[c], "number") for c in CATEGORIES),
                   (row.total, "number")])


INDICATOR_COLUMNS = [("Mã", 14), ("Chỉ tiêu", 50), ("Mục tiêu", 22), ("Thực hiện", 12), ("Tỷ lệ trên tổng (%)", 11),
                     ("Quý trước", 12), ("Đạt so với mục tiêu (%)", 11), ("Cơ quan báo cáo", 24), ("Ghi chú", 36)]
INDICATOR_GROUPS = [("headline", "Mục tiêu chung"), ("criterion", "19 tiêu chí: số xã đạt tiêu chí"),
                    ("aim", "Các chỉ tiêu khác của tiêu chí"), ("funding", "Nguồn vốn (tỷ đồng): kế hoạch và đã huy động")]


def _figure(value: float | None, places: int = 2):
    return "" if value is None else round(value, places)


def _indicator_sheet(book: Workbook, report: QuarterlyReport) -> None:
    found = report.indicators
    sheet = book.add_sheet("Chỉ tiêu", [w for _, w in INDICATOR_COLUMNS], print_title_row=HEADER_ROW,
                           freeze=(HEADER_ROW + 1, 2))
    sheet.row([(f"{report.title}: kết quả thực hiện các chỉ tiêu", "title")], height=20)
    sheet.row([(f"Số liệu đến hết ngày {vn_date(found.day)}, so với cuối quý trước ({vn_date(found.before.day)})"
                + ("; danh sách xã là dữ liệu mẫu minh họa" if report.sample_communes else ""), "meta")])
    sheet.row([])
    sheet.row([(name, "head") for name, _ in INDICATOR_COLUMNS], height=LINE_HEIGHT * 3)
    last = len(INDICATOR_COLUMNS) - 1
    for group, title in INDICATOR_GROUPS:
        sheet.row([(title, "section")] + [("", "section")] * last, height=LINE_HEIGHT * 1.3)
        sheet.merge_row(0, last)
        for row in found.group(group):
            ind = row.indicator
            note = "chưa nhập" if row.missing else (row.entry.note if row.entry else "")
            sheet.row([(ind.key, "text"), (neutral(ind.name), "text"), (ind.target_text, "text"),
                       (_figure(row.actual), "number"), (_figure(row.share, 1), "number"),
                       (_figure(row.previous), "number"), (_figure(row.progress, 0), "number"),
                       (neutral(ind.responsible.name if ind.responsible else ""), "text"),
                       (neutral(note), "overdue" if row.missing else "text")],
                      height=LINE_HEIGHT * max(1, min(6, len(ind.name) // 50 + 1)))


def _district_sheet(book: Workbook, report: QuarterlyReport) -> None:
    found = report.indicators
    headers = ["Huyện, thành phố", "Số xã", "Đạt chuẩn NTM", "Bình quân tiêu chí/xã", *[f"TC{k}" for k in range(1, 20)]]
    sheet = book.add_sheet("Chỉ tiêu theo huyện", [26, 8, 10, 11] + [6] * 19, print_title_row=HEADER_ROW)
    sheet.row([(f"{report.title}: số xã đạt tiêu chí theo huyện", "title")], height=20)
    sheet.row([(f"Số liệu đến hết ngày {vn_date(found.day)}", "meta")])
    sheet.row([])
    sheet.row([(name, "head") for name in headers], height=LINE_HEIGHT * 3)
    for row in report.districts or []:
        sheet.row([(neutral(row.district.name), "text"), (row.communes, "number"), (row.standard, "number"),
                   (_figure(row.average), "number"), *((row.per_criterion[k], "number") for k in range(1, 20))])
    now = found.now
    sheet.row([("Toàn tỉnh", "section"), (now.communes, "number"), (now.standard, "number"),
               (_figure(now.average), "number"), *((now.per_criterion[k], "number") for k in range(1, 20))])
    sheet.row([])
    sheet.row([("Số xã theo số tiêu chí đạt", "head"), ("Số xã", "head"), ("Quý trước", "head")])
    for name, count in now.bands.items():
        sheet.row([(f"Đạt {name.replace('-', '–')} tiêu chí" if name != "0-4" else "Dưới 5 tiêu chí", "text"),
                   (count, "number"), (found.before.bands[name], "number")])


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
