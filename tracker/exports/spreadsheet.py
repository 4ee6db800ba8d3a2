"""The quarterly report as XLSX (written row by row by exports.xlsx) and as CSV.

Sheet 1 is the appendix ("Phụ lục … kèm theo Báo cáo số …"): its columns (TT | Nội dung công việc | Chỉ
đạo | Cơ quan thực hiện | Cơ quan phối hợp | Thời gian), one block per task with its cells merged down over
its bodies' rows, each body named alone in its own row (status, progress, completion date, latest note)
and each group of bodies in one (exports.appendix); a block never splits across printed pages. Sheet 2
holds the per-agency counts, sheet 3 the counts by section, then the indicators. A4 landscape, fitted to
the page's width, header row repeated on every printed page, every row as tall as its wrapped text
(xlsx.lines_in). Every text is written as text, never as a formula.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from ..clock import vn_date
from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from .appendix import NEEDS_DATE, BodyRow, TaskFacts, body_rows, task_facts
from .quarterly import ROMAN, AppendixRow, QuarterlyReport, appendix_rows, category_label, neutral, status_label
from .xlsx import Sheet, Workbook, height_of, lines_in

APPENDIX_COLUMNS = [
    ("TT", 6), ("Nội dung công việc", 27), ("Chỉ đạo", 11), ("Cơ quan thực hiện", 13.5), ("Cơ quan phối hợp", 13.5),
    ("Thời gian", 9), ("Hạn", 10.5), ("Tình hình chung", 12),
    ("Cơ quan báo cáo", 17), ("Tình hình của cơ quan", 17.5), ("Trạng thái", 16), ("Tiến độ (%)", 7),
    ("Ngày hoàn thành", 10.5), ("Ghi chú mới nhất", 21),
]
WIDTHS = [width for _, width in APPENDIX_COLUMNS]
TASK_COLUMNS = 8  # TT … Tình hình chung: a task's cells, merged down over its bodies' rows
BOLD_11 = 1.08  # bold text is wider: heads and group names
BOLD_12 = 12 / 11 * 1.08  # bold 12-point text against the plain 11-point the widths are measured in
BOLD_14 = 14 / 11 * 1.08
HEADER_ROW = 5  # 0-based: "Phụ lục", the title, the annex line, the date, a blank row, then the header


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


def running(report: QuarterlyReport) -> bool:
    """The quarter has not ended on the day the report is counted to."""
    return report.period.as_of < report.period.end


def sheet_title(report: QuarterlyReport) -> str:
    """"Báo cáo tình hình thực hiện Kế hoạch … năm 2021, quý IV": the year said once (a plan's title names
    its year); a quarter still running adds the day it is counted to."""
    return report.title + (f" (đến ngày {vn_date(report.period.as_of)})" if running(report) else "")


def as_of_line(report: QuarterlyReport) -> str:
    """The day every figure is counted to: never a day not yet come."""
    return f"Số liệu tính đến ngày {vn_date(report.period.as_of)}"


def _head_row(sheet: Sheet, text: str, style: str, scale: float = 1.0) -> None:
    """A line of the sheet's heading, merged across the sheet and as tall as its wrapped text."""
    sheet.row([(text, style)], height=height_of(lines_in(text, sum(sheet.widths), scale), scale))
    sheet.merge_row(0, len(sheet.widths) - 1)


def _title_rows(sheet: Sheet, title: str, report: QuarterlyReport) -> None:
    _head_row(sheet, title, "title", BOLD_14)
    _head_row(sheet, as_of_line(report), "meta")
    sheet.row([])


def _appendix_sheet(book: Workbook, report: QuarterlyReport) -> None:
    sheet = book.add_sheet("Phụ lục", WIDTHS, print_title_row=HEADER_ROW, freeze=(HEADER_ROW + 1, 2))
    _head_row(sheet, "Phụ lục", "label", BOLD_12)
    _head_row(sheet, "KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CỦA " + sheet_title(report).removeprefix(
        "Báo cáo tình hình thực hiện ").upper(), "heading", BOLD_12)
    if report.letterhead is not None:
        _head_row(sheet, report.letterhead.annex_line, "annex")
    else:
        sheet.row([])
    _head_row(sheet, as_of_line(report), "annex")
    sheet.row([])
    header = height_of(max(lines_in(name, w, BOLD_11) for name, w in APPENDIX_COLUMNS))
    sheet.row([(name, "head") for name, _ in APPENDIX_COLUMNS], height=header)
    pages = Pages(sheet, header, PAGE_ROOM - sum(sheet.heights))
    facts = task_facts(report.plan)
    last = len(APPENDIX_COLUMNS) - 1
    block: list[AppendixRow] = []
    section: Block | None = None  # a section's row goes onto the page of its first task

    def place() -> None:
        nonlocal section
        if block:
            pages.place(_task_block(block, facts), section)
        elif section:
            pages.place(section)
        section = None

    for item in appendix_rows(report.plan, report.period.as_of):
        if isinstance(item, AppendixRow) and not item.first_of_task:
            block.append(item)
            continue
        if block or isinstance(item, tuple):
            place()
        block = []
        if isinstance(item, tuple):
            title = neutral(item[1])
            section = Block([([(title, "section")] + [("", "section")] * last,
                              height_of(lines_in(title, sum(WIDTHS), BOLD_11)) + 2)], across=True)
        else:
            block.append(item)
    place()


# What one A4 landscape page holds of the appendix's rows, in the points of the row heights (the sheet is
# printed at about 75% to fit the page's width). LibreOffice fitted 720 and broke a page of 760 itself,
# printing a task's merged cells over two pages; a little under, to be sure.
PAGE_ROOM = 700.0


@dataclass
class Block:
    """Rows that print on one page: a task's (merged down its first columns) or a section's (merged across)."""

    rows: list[tuple[list, float]]
    across: bool = False

    @property
    def height(self) -> float:
        """The block's height in points."""
        return sum(height for _, height in self.rows)


class Pages:
    """Writes blocks of rows, starting a new printed page before a block that would not fit on this one."""

    def __init__(self, sheet: Sheet, header: float, room: float):
        self.sheet, self.header, self.left = sheet, header, room

    def place(self, block: Block, before: Block | None = None) -> None:
        """Write a block, with the section row that opens it, on one page when it fits on one."""
        blocks = [before, block] if before else [block]
        height = sum(b.height for b in blocks)
        if height > self.left and self.left < PAGE_ROOM - self.header:
            self.sheet.page_break()
            self.left = PAGE_ROOM - self.header  # the header row is printed again on every page
        self.left -= height
        for each in blocks:
            self._write(each)

    def _write(self, block: Block) -> None:
        sheet, first = self.sheet, self.sheet.next_row
        for cells, height in block.rows:
            sheet.row(cells, height=height)
        if block.across:
            sheet.merge_row(0, len(sheet.widths) - 1)
        elif len(block.rows) > 1:
            for column in range(TASK_COLUMNS):
                sheet.merge(first, column, sheet.next_row - 1, column)


def _task_block(lines: list[AppendixRow], facts: TaskFacts) -> Block:
    """A task's rows: its cells on the first, merged down over the rows of its bodies (or groups of them)."""
    task = lines[0]
    due = _day(task.due_on) or (NEEDS_DATE if task.code in facts.needs_date else "")
    cells = [(neutral(task.code), "center"), (neutral(task.title), "text"), (neutral(task.lead or ""), "text"),
             (neutral(task.executing or ""), "text"), (neutral(task.coordinating or ""), "text"),
             (neutral(task.timeline or ""), "text"), (due, "flag" if due == NEEDS_DATE else "center"),
             (category_label(task.task_category), "overdue" if task.task_category == "overdue" else "text")]
    printed = [_body_cells(body) for body in body_rows(lines, facts.groups.get(task.code, []), facts.short)]
    heights = [_lines(row, TASK_COLUMNS) for row in printed]
    short = _lines(cells, 0) - sum(heights)
    if short > 0:  # the task's text is taller than its bodies' rows: share the difference out among them
        for index in range(len(heights)):
            heights[index] += short // len(heights) + (1 if index < short % len(heights) else 0)
    blank = [("", style) for _, style in cells]
    return Block([((cells if index == 0 else blank) + row, height_of(heights[index]))
                  for index, row in enumerate(printed)])


BOLD_STYLES = frozenset({"group", "overdue", "flag", "head", "section"})


# Below this many characters a text fits its column on one line whatever its letters (see xlsx.lines_in).
ONE_LINE = [(width - 0.9) * 0.93 / 1.45 / BOLD_11 for width in WIDTHS]


def _lines(cells: list, first: int) -> int:
    """The lines the tallest of a row's (value, style) cells wraps to, its first cell in column `first`."""
    most = 1
    for column, (value, style) in enumerate(cells, start=first):
        if value.__class__ is str and len(value) > ONE_LINE[column]:  # most cells are short: skip them fast
            most = max(most, lines_in(value, WIDTHS[column], BOLD_11 if style in BOLD_STYLES else 1.0))
    return most


def _body_cells(body: BodyRow) -> list:
    """The cells of one body's line, or of a group's summary."""
    own = "overdue" if body.overdue else "text"
    return [(neutral(body.agency), "group" if body.group else "text"), (body.situation, own),
            (body.status, "text"), (body.progress if body.progress is not None else "", "number"),
            (_day(body.completed_on), "center"), (neutral(body.note), "text")]


_DATES: dict = {}


def _day(value) -> str:
    """dd/mm/yyyy, each date formatted once per process (a plan has a few hundred distinct dates)."""
    if value is None:
        return ""
    found = _DATES.get(value)
    if found is None:
        found = _DATES[value] = vn_date(value)
    return found


def _matrix_sheet(book: Workbook, name: str, first: str, rows, report: QuarterlyReport) -> None:
    headers = [first, *(CATEGORY_LABELS[c] for c in CATEGORIES), "Cộng"]
    widths = [40] + [13] * (len(headers) - 1)
    sheet = book.add_sheet(name, widths, print_title_row=HEADER_ROW_OTHER)
    _title_rows(sheet, f"{sheet_title(report)}: {name.lower()}", report)
    sheet.row([(header, "head") for header in headers],
              height=height_of(max(lines_in(h, w, BOLD_11) for h, w in zip(headers, widths))))
    for row in rows:
        label = neutral(row.label)
        sheet.row([(label, "text"), *((row.counts[c], "number") for c in CATEGORIES), (row.total, "number")],
                  height=height_of(lines_in(label, widths[0])))


HEADER_ROW_OTHER = 3  # the other sheets: the title, the date, a blank row, then the header

INDICATOR_COLUMNS = [("TT", 6), ("Chỉ tiêu", 52), ("Mục tiêu", 20), ("Thực hiện", 11), ("Tỷ lệ trên tổng (%)", 10),
                     ("Quý trước", 11), ("Đạt so với mục tiêu (%)", 11), ("Cơ quan báo cáo", 22), ("Ghi chú", 28)]
INDICATOR_GROUPS = [("headline", "Mục tiêu chung"), ("criterion", "19 tiêu chí: số xã đạt tiêu chí"),
                    ("aim", "Các chỉ tiêu khác của tiêu chí"), ("funding", "Nguồn vốn (tỷ đồng): kế hoạch và đã huy động")]


def _figure(value: float | None, places: int = 2):
    return "" if value is None else round(value, places)


def _figures_day(report: QuarterlyReport) -> str:
    """"đến ngày 04/12/2021" while the quarter runs, "đến hết ngày 31/12/2021" once it has ended."""
    day = min(report.indicators.day, report.period.as_of)
    return f"đến ngày {vn_date(day)}" if running(report) else f"đến hết ngày {vn_date(day)}"


def _indicator_sheet(book: Workbook, report: QuarterlyReport) -> None:
    found = report.indicators
    widths = [w for _, w in INDICATOR_COLUMNS]
    sheet = book.add_sheet("Chỉ tiêu", widths, print_title_row=HEADER_ROW_OTHER, freeze=(HEADER_ROW_OTHER + 1, 2))
    _head_row(sheet, f"{sheet_title(report)}: kết quả thực hiện các chỉ tiêu", "title", BOLD_14)
    _head_row(sheet, f"Số liệu {_figures_day(report)}, so với cuối quý trước ({vn_date(found.before.day)})"
              + ("; danh sách xã là dữ liệu mẫu minh họa" if report.sample_communes else ""), "meta")
    sheet.row([])
    sheet.row([(name, "head") for name, _ in INDICATOR_COLUMNS],
              height=height_of(max(lines_in(name, w, BOLD_11) for name, w in INDICATOR_COLUMNS)))
    last = len(INDICATOR_COLUMNS) - 1
    for group, title in INDICATOR_GROUPS:
        sheet.row([(title, "section")] + [("", "section")] * last, height=height_of(1) + 2)
        sheet.merge_row(0, last)
        # A running number within each group, as the plan's tables number their rows (keys are internal).
        for number, row in enumerate(found.group(group), start=1):
            ind = row.indicator
            note = "chưa nhập" if row.missing else (row.entry.note if row.entry else "")
            texts = [str(number), neutral(ind.name), neutral(ind.target_text or ""),
                     neutral(ind.responsible.name if ind.responsible else ""), neutral(note or "")]
            lines = max(lines_in(text, widths[column]) for text, column in zip(texts, (0, 1, 2, 7, 8)))
            sheet.row([(texts[0], "text"), (texts[1], "text"), (texts[2], "text"),
                       (_figure(row.actual), "number"), (_figure(row.share, 1), "number"),
                       (_figure(row.previous), "number"), (_figure(row.progress, 0), "number"),
                       (texts[3], "text"), (texts[4], "overdue" if row.missing else "text")],
                      height=height_of(lines))


def _district_sheet(book: Workbook, report: QuarterlyReport) -> None:
    found = report.indicators
    headers = ["Huyện, thành phố", "Số xã", "Đạt chuẩn NTM", "Bình quân tiêu chí/xã", *[f"TC{k}" for k in range(1, 20)]]
    widths = [24, 7, 9, 10] + [5.5] * 19
    sheet = book.add_sheet("Chỉ tiêu theo huyện", widths, print_title_row=HEADER_ROW_OTHER)
    _head_row(sheet, f"{sheet_title(report)}: số xã đạt tiêu chí theo huyện", "title", BOLD_14)
    _head_row(sheet, f"Số liệu {_figures_day(report)}", "meta")
    sheet.row([])
    sheet.row([(name, "head") for name in headers],
              height=height_of(max(lines_in(h, w, BOLD_11) for h, w in zip(headers, widths))))
    for row in report.districts or []:
        name = neutral(row.district.name)
        sheet.row([(name, "text"), (row.communes, "number"), (row.standard, "number"),
                   (_figure(row.average), "number"), *((row.per_criterion[k], "number") for k in range(1, 20))],
                  height=height_of(lines_in(name, widths[0])))
    now = found.now
    sheet.row([("Toàn tỉnh", "section"), (now.communes, "number"), (now.standard, "number"),
               (_figure(now.average), "number"), *((now.per_criterion[k], "number") for k in range(1, 20))])
    sheet.row([])
    sheet.row([("Số xã theo số tiêu chí đạt", "head"), ("Số xã", "head"), ("Quý trước", "head")],
              height=height_of(2))
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
