"""A DOCX draft of the quarterly report (python-docx): the counts, the per-agency matrix, the overdue table
and each body's submitted report for the quarter's round, A4 landscape, for the office to finish in Word."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..clock import vn_date
from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from ..reporting.services import BODY_STATE_LABELS
from ..indicators.models import vn_number
from .quarterly import OVERDUE_LISTED, QuarterlyReport
from .spreadsheet import INDICATOR_GROUPS


def write_docx(report: QuarterlyReport) -> bytes:
    """The report draft as a DOCX file's bytes."""
    document = Document()
    _page(document)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(report.title.upper())
    run.bold, run.font.size = True, Pt(14)
    note = document.add_paragraph(f"(Số liệu tính đến ngày {vn_date(report.period.as_of)})")
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("I. Tình hình chung", level=2)
    total = sum(report.overall.values())
    document.add_paragraph(
        f"Kế hoạch có {total} nhiệm vụ. Đến ngày {vn_date(report.period.as_of)}: "
        + "; ".join(f"{CATEGORY_LABELS[c].lower()} {report.overall[c]}" for c in CATEGORIES) + ".")

    document.add_heading("II. Kết quả theo cơ quan thực hiện", level=2)
    document.add_paragraph("Mỗi cơ quan được tính theo phần việc (dòng) của chính mình.")
    _matrix(document, "Cơ quan", report.agencies)

    document.add_heading(f"III. Nhiệm vụ quá hạn ({report.overdue_total})", level=2)
    if report.overdue:
        table = _table(document, ["TT", "Nội dung công việc", "Cơ quan", "Hạn", "Quá (ngày)", "Ghi chú"])
        for row in report.overdue:
            _row(table, [row.code, row.title, row.agency.name, vn_date(row.due_on), str(row.days), row.note or ""])
        _widths(table, [1.6, 9.0, 5.0, 2.4, 1.8, 5.9])
        if report.overdue_total > OVERDUE_LISTED:
            document.add_paragraph(f"… và {report.overdue_total - OVERDUE_LISTED} dòng khác (xem tệp Excel).")
    else:
        document.add_paragraph("Không có nhiệm vụ quá hạn.")

    document.add_heading("IV. Báo cáo của các cơ quan", level=2)
    if report.round_state:
        counts = report.round_state.counts
        document.add_paragraph(f"{report.round.title}, hạn nộp {vn_date(report.round.due_on)}: "
                               + "; ".join(f"{label.lower()} {counts[state]}"
                                           for state, label in BODY_STATE_LABELS.items() if counts[state]) + ".")
    for submission in report.submissions:
        document.add_heading(f"{submission.agency.name} (nộp ngày {vn_date(submission.submitted_on)})", level=3)
        for paragraph in (submission.body or "").splitlines() or [""]:
            document.add_paragraph(paragraph)
    if not report.submissions:
        document.add_paragraph("Chưa có cơ quan nào nộp báo cáo kỳ này.")

    if report.indicators:
        _indicators(document, report)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    section.top_margin = section.bottom_margin = Cm(1.5)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(12)


def _table(document, headers: list[str]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    # The header row repeats on every page the table spans.
    properties = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    return table


def _row(table, values: list[str], numbers_from: int | None = None) -> None:
    for index, (cell, value) in enumerate(zip(table.add_row().cells, values)):
        cell.text = value
        if numbers_from is not None and index >= numbers_from:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _widths(table, widths_cm: list[float]) -> None:
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)  # the grid LibreOffice reads
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _matrix(document, first: str, rows) -> None:
    table = _table(document, [first, *(CATEGORY_LABELS[c] for c in CATEGORIES), "Cộng"])
    for row in rows:
        _row(table, [row.label, *(str(row.counts[c]) for c in CATEGORIES), str(row.total)], numbers_from=1)
    _widths(table, [7.5] + [2.55] * len(CATEGORIES) + [1.8])


def _indicators(document, report: QuarterlyReport) -> None:
    """Section V: the plan's numbers at the quarter's end."""
    found = report.indicators
    now, before = found.now, found.before
    document.add_heading("V. Kết quả thực hiện các chỉ tiêu", level=2)
    if report.sample_communes:
        document.add_paragraph("(Danh sách xã là dữ liệu mẫu minh họa; số liệu theo xã chỉ để thử.)")
    if now.communes:
        bands = "; ".join(f"{'dưới 5' if name == '0-4' else name.replace('-', '–')} tiêu chí {count} xã"
                          for name, count in now.bands.items())
        document.add_paragraph(
            f"Đến hết ngày {vn_date(found.day)}, toàn tỉnh có {now.standard}/{now.communes} xã đạt chuẩn nông thôn mới "
            f"(cuối quý trước {before.standard}); bình quân {vn_number(now.average)} tiêu chí/xã. "
            f"Số xã theo số tiêu chí đạt: {bands}.")
    table = _table(document, ["Chỉ tiêu", "Mục tiêu", "Cơ quan báo cáo", "Thực hiện", "Quý trước", "Đạt (%)"])
    for group, title in INDICATOR_GROUPS:
        _row(table, [title, "", "", "", "", ""])
        for row in found.group(group):
            ind = row.indicator
            _row(table, [ind.name, ind.target_text, ind.responsible.short_name if ind.responsible else "",
                         "chưa nhập" if row.missing else vn_number(row.actual), vn_number(row.previous),
                         vn_number(row.progress, 0)], numbers_from=3)
    _widths(table, [10.5, 5.0, 3.2, 2.6, 2.6, 1.8])
