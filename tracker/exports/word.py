"""The quarterly report as an administrative document (python-docx), ready for the office to sign and file:
the frame of Decree 30/2020/NĐ-CP (docx_frame.py), a body that states every figure as of the report's as-of
day, and the wide tables (per agency, overdue lines, indicators) as landscape annexes."""
from __future__ import annotations

import io
import re
from collections.abc import Callable

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..clock import vn_date
from ..progress.categories import CATEGORIES, CATEGORY_LABELS
from ..reporting.services import BODY_STATE_LABELS
from ..indicators.models import vn_number
from .docx_frame import (annex_heading, annex_section, closing_block, heading, letterhead_block, new_document, para,
                         run, set_widths, title_block)
from .letterhead import current_letterhead
from .quarterly import OVERDUE_LISTED, QuarterlyReport
from .spreadsheet import INDICATOR_GROUPS

TABLE_PT = 12
NUMERALS = ("I", "II", "III", "IV", "V", "VI")
Annex = tuple[str, Callable[[object, QuarterlyReport], None]]


def as_of_words(report: QuarterlyReport) -> str:
    """"ngày 04/12/2026": the day every figure of the report is counted to."""
    return f"ngày {vn_date(report.period.as_of)}"


def abstract(report: QuarterlyReport) -> str:
    """The trích yếu: what the report is about; a quarter still running says the day it is counted to."""
    period = report.period
    text = f"Tình hình thực hiện {report.plan_and_period}"
    return text + (f" (đến {as_of_words(report)})" if period.as_of < period.end else "")


def write_docx(report: QuarterlyReport) -> bytes:
    """The report as a DOCX file's bytes."""
    document = Document()
    new_document(document)
    head = report.letterhead or current_letterhead()
    document.core_properties.title = abstract(report)
    document.core_properties.language = "vi-VN"
    letterhead_block(document, head)
    title_block(document, abstract(report))

    plan, period = report.plan, report.period
    by = f" của {plan.issuer}" if plan.issuer else ""
    para(document, f"Thực hiện {plan.title}{by}, {head.issuer_name} báo cáo tình hình thực hiện {period.label} "
                   f"(số liệu tính đến {as_of_words(report)}) như sau:", indent=True)
    annexes: list[Annex] = []
    _general(document, report)
    _agencies(document, report, annexes)
    _overdue(document, report, annexes)
    _submissions(document, report)
    if report.indicators:
        _indicators(document, report, annexes)
    para(document, f"Trên đây là báo cáo tình hình thực hiện {report.plan_and_period} "
                   f"của {head.issuer_name}./.", indent=True)
    closing_block(document, head)

    if annexes:
        annex_section(document)
        for index, (title, write) in enumerate(annexes):
            annex_heading(document, NUMERALS[index], title, head, first=index == 0)
            write(document, report)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _annex(annexes: list[Annex], title: str, write) -> str:
    """Queue an annex; the words the body refers to it by ("Phụ lục I")."""
    annexes.append((title, write))
    return f"Phụ lục {NUMERALS[len(annexes) - 1]}"


def _general(document, report: QuarterlyReport) -> None:
    heading(document, "I. Tình hình chung")
    total = sum(report.overall.values())
    para(document, f"Kế hoạch có {total} nhiệm vụ. Đến {as_of_words(report)}: "
                   + "; ".join(f"{CATEGORY_LABELS[c].lower()} {report.overall[c]}" for c in CATEGORIES) + ".",
         indent=True)


def _agencies(document, report: QuarterlyReport, annexes: list[Annex]) -> None:
    heading(document, "II. Kết quả theo cơ quan thực hiện")
    late = sorted((row for row in report.agencies if row.counts["overdue"]),
                  key=lambda row: -row.counts["overdue"])
    where = _annex(annexes, "Kết quả thực hiện theo cơ quan thực hiện", _matrix)
    text = (f"Mỗi cơ quan được tính theo phần việc (dòng) của chính mình. Đến {as_of_words(report)}, "
            f"{len(late)}/{len(report.agencies)} cơ quan có phần việc quá hạn, chưa hoàn thành")
    if late:
        text += ", nhiều nhất: " + "; ".join(f"{row.label} ({row.counts['overdue']})" for row in late[:5])
    para(document, f"{text} (chi tiết tại {where} kèm theo).", indent=True)


def _overdue(document, report: QuarterlyReport, annexes: list[Annex]) -> None:
    heading(document, f"III. Nhiệm vụ quá hạn ({report.overdue_total})")
    if not report.overdue:
        para(document, f"Đến {as_of_words(report)}, không có nhiệm vụ quá hạn.", indent=True)
        return
    where = _annex(annexes, "Các phần việc quá hạn, chưa hoàn thành", _overdue_table)
    oldest = max(row.days for row in report.overdue)
    para(document, f"Đến {as_of_words(report)}, có {report.overdue_total} phần việc quá hạn, chưa hoàn thành; "
                   f"lâu nhất quá hạn {oldest} ngày (chi tiết tại {where} kèm theo).", indent=True)


def _submissions(document, report: QuarterlyReport) -> None:
    heading(document, "IV. Báo cáo của các cơ quan")
    if report.round_state:
        counts = report.round_state.counts
        para(document, f"{report.round.title}, hạn nộp {vn_date(report.round.due_on)}; đến {as_of_words(report)}: "
                       + "; ".join(f"{label.lower()} {counts[state]}"
                                   for state, label in BODY_STATE_LABELS.items() if counts[state]) + ".", indent=True)
    for number, submission in enumerate(report.submissions, start=1):
        para(document, f"{number}. {submission.agency.name} (nộp ngày {vn_date(submission.submitted_on)})",
             bold=True, italic=True, indent=True, keep=True)
        # Each line as the body typed it, on a line of its own (a line break inside a justified paragraph
        # would stretch the line before it); blank lines part its paragraphs.
        for block in _blocks(submission.body or ""):
            for index, line in enumerate(block):
                para(document, line, indent=True, after=6 if index == len(block) - 1 else 0)
    if not report.submissions:
        para(document, f"Đến {as_of_words(report)}, chưa có cơ quan nào nộp báo cáo kỳ này.", indent=True)


def _blocks(text: str) -> list[list[str]]:
    """A submitted report's paragraphs (split at blank lines), each a list of its lines."""
    blocks = [block.splitlines() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))]
    return [[line.strip() for line in block if line.strip()] for block in blocks if any(line.strip() for line in block)]


def _indicators(document, report: QuarterlyReport, annexes: list[Annex]) -> None:
    """Section V: the plan's numbers on the report's as-of day."""
    found = report.indicators
    now, before = found.now, found.before
    heading(document, "V. Kết quả thực hiện các chỉ tiêu")
    if report.sample_communes:
        para(document, "(Danh sách xã là dữ liệu mẫu minh họa; số liệu theo xã chỉ để thử.)", italic=True,
             indent=True)
    where = _annex(annexes, "Kết quả thực hiện các chỉ tiêu của kế hoạch", _indicator_table)
    if now.communes:
        bands = "; ".join(f"{'dưới 5' if name == '0-4' else name.replace('-', '–')} tiêu chí {count} xã"
                          for name, count in now.bands.items())
        para(document, f"Đến {as_of_words(report)}, toàn tỉnh có {now.standard}/{now.communes} xã đạt chuẩn nông thôn "
                       f"mới (cuối quý trước, ngày {vn_date(before.day)}: {before.standard}); bình quân "
                       f"{vn_number(now.average)} tiêu chí/xã. Số xã theo số tiêu chí đạt: {bands}.", indent=True)
    para(document, f"Các chỉ tiêu khác và nguồn vốn: chi tiết tại {where} kèm theo.", indent=True)


# --- annex tables -------------------------------------------------------------------------------------------

def _cell(cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = p.paragraph_format.space_before = 0
    run(p, text, TABLE_PT, bold=bold)


def _table(document, headers: list[str]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers):
        _cell(cell, header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    # The header row repeats on every page the table spans.
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    return table


def _row(table, values: list[str], numbers_from: int | None = None, bold: bool = False) -> None:
    for index, (cell, value) in enumerate(zip(table.add_row().cells, values)):
        number = numbers_from is not None and index >= numbers_from
        _cell(cell, value, bold=bold, align=WD_ALIGN_PARAGRAPH.RIGHT if number else WD_ALIGN_PARAGRAPH.LEFT)


def _matrix(document, report: QuarterlyReport) -> None:
    para(document, f"(Số phần việc theo tình trạng, tính đến {as_of_words(report)})", 13,
         align=WD_ALIGN_PARAGRAPH.CENTER, italic=True)
    table = _table(document, ["Cơ quan", *(CATEGORY_LABELS[c] for c in CATEGORIES), "Cộng"])
    for row in report.agencies:
        _row(table, [row.label, *(str(row.counts[c]) for c in CATEGORIES), str(row.total)], numbers_from=1)
    set_widths(table, [7.5] + [2.55] * len(CATEGORIES) + [1.8])


def _overdue_table(document, report: QuarterlyReport) -> None:
    table = _table(document, ["TT", "Nội dung công việc", "Cơ quan", "Hạn", "Quá (ngày)", "Ghi chú"])
    for row in report.overdue:
        _row(table, [row.code, row.title, row.agency.name, vn_date(row.due_on), str(row.days), row.note or ""])
    set_widths(table, [1.6, 9.0, 5.0, 2.4, 1.8, 5.9])
    if report.overdue_total > OVERDUE_LISTED:
        para(document, f"… và {report.overdue_total - OVERDUE_LISTED} dòng khác (xem tệp Excel).", 13, italic=True)


def _indicator_table(document, report: QuarterlyReport) -> None:
    found = report.indicators
    table = _table(document, ["Chỉ tiêu", "Mục tiêu", "Cơ quan báo cáo", f"Thực hiện đến {vn_date(found.day)}",
                              f"Cuối quý trước ({vn_date(found.before.day)})", "Đạt (%)"])
    for group, title in INDICATOR_GROUPS:
        _row(table, [title, "", "", "", "", ""], bold=True)
        for row in found.group(group):
            ind = row.indicator
            _row(table, [ind.name, ind.target_text, ind.responsible.short_name if ind.responsible else "",
                         "chưa nhập" if row.missing else vn_number(row.actual), vn_number(row.previous),
                         vn_number(row.progress, 0)], numbers_from=3)
    set_widths(table, [10.5, 5.0, 3.2, 2.6, 2.6, 1.8])
