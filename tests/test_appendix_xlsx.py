"""The XLSX "Phụ lục" as the office files it: one block per task, a group of bodies in one row, the
annex header, the year said once, the needs-date flag, and, through LibreOffice, a few pages with no
text printed over other text."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from helpers import line_of
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.progress.models import StatusLine

HEAD = 6  # the header row: "Phụ lục", the title, the annex line, the date, a blank row, then the header
DISTRICTS = "UBND các huyện, thành phố"


def some_districts_at_work(app) -> None:
    """VII.1 (due 30/06/2021, for the eleven districts and Sở NN&PTNT): one district done, one at work."""
    with app.app_context():
        done = line_of("VII.1", "UBND huyện Bắc Sơn")
        done.status, done.progress, done.started_on, done.completed_on = "done", 100, date(2021, 4, 1), date(2021, 6, 20)
        busy = line_of("VII.1", "UBND huyện Đình Lập")
        busy.status, busy.progress, busy.started_on = "in_progress", 50, date(2021, 5, 3)
        db.session.commit()


def download(client, query: str) -> bytes:
    with client.get(f"/reports/quarterly.xlsx?{query}") as response:
        assert response.status_code == 200
        return response.data


def blocks(sheet) -> dict[str, tuple[int, int]]:
    """Each task's code -> (first row, last row) of its block, read from the merged TT cells."""
    merged = {r.min_row: r.max_row for r in sheet.merged_cells.ranges if r.min_col == r.max_col == 1}
    found = {}
    for row in range(HEAD + 1, sheet.max_row + 1):
        code = sheet.cell(row, 1).value
        if code and re.fullmatch(r"[IVX]+\.\d+", code):
            found[code] = (row, merged.get(row, row))
    return found


def test_the_appendix_has_one_block_per_task_and_a_row_per_group(seeded, reader):
    some_districts_at_work(seeded)
    book = openpyxl.load_workbook(io.BytesIO(download(reader, "year=2021&quarter=2")))
    sheet = book["Phụ lục"]
    # The annex's header in the administrative style, the year said once.
    assert sheet["A1"].value == "Phụ lục" and sheet["A1"].font.b
    title = sheet["A2"].value
    assert title.startswith("KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ") and title.endswith("NĂM 2021, QUÝ II")
    assert title.count("2021") == 1 and sheet["A2"].font.b and sheet["A2"].font.name == "Times New Roman"
    annex = sheet["A3"].value
    assert annex.startswith("(Kèm theo Báo cáo số") and "/BC-VPĐP" in annex and annex.endswith(
        "của Văn phòng Điều phối nông thôn mới tỉnh)") and sheet["A3"].font.i
    assert sheet["A4"].value == "Số liệu tính đến ngày 30/06/2021"
    assert [c.value for c in sheet[HEAD]][:8] == ["TT", "Nội dung công việc", "Chỉ đạo", "Cơ quan thực hiện",
                                                   "Cơ quan phối hợp", "Thời gian", "Hạn", "Tình hình chung"]
    assert sheet.print_title_rows == f"${HEAD}:${HEAD}"
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9 and setup.fitToHeight == 0
    assert "&P" in sheet.oddFooter.center.text

    found = blocks(sheet)
    with seeded.app_context():
        codes = list(db.session.scalars(sa.select(Task.code).where(Task.plan.has(year=2021)).order_by(Task.position)))
        needs_date = set(db.session.scalars(sa.select(Task.code).where(Task.plan.has(year=2021),
                                                                        Task.needs_date.is_(True))))
        lines = db.session.scalar(sa.select(sa.func.count(StatusLine.id)).join(Task).where(Task.plan.has(year=2021)))
    assert list(found) == codes
    # A body named alone keeps its row: II.1 names three; its cells are merged down over their rows.
    first, last = found["II.1"]
    assert last - first + 1 == 3
    assert [sheet.cell(row, 9).value for row in range(first, last + 1)] == [
        "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    for column in "ABCDEFGH":
        assert f"{column}{first}:{column}{last}" in merged
    assert sheet.cell(first, 2).value == "Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021"
    # The eleven districts of VII.1 are one row: counts by category and the names of those behind.
    first, last = found["VII.1"]
    rows = {sheet.cell(row, 9).value: [c.value for c in sheet[row]] for row in range(first, last + 1)}
    assert list(rows) == [f"{DISTRICTS} (11 cơ quan)", "Sở Nông nghiệp và Phát triển nông thôn"]
    group = rows[f"{DISTRICTS} (11 cơ quan)"]
    assert group[9].split("\n") == ["Hoàn thành đúng hạn: 1", "Đang thực hiện trong hạn: 1", "Chưa thực hiện: 9"]
    behind = group[13].removeprefix("Chưa thực hiện: ").rstrip(".").split(", ")
    assert len(behind) == 9 and "Huyện Cao Lộc" in behind and "Thành phố Lạng Sơn" in behind
    assert not any("Bắc Sơn" in name or "Đình Lập" in name for name in behind)
    assert all(f"{c}{first}:{c}{last}" in merged for c in "ABCDEFGH")
    # 27 tasks in about sixty rows, not one per line.
    assert sheet.max_row - HEAD < lines / 3
    # A task whose timeline names no date is flagged as the plan page flags it.
    flagged = {code for code, (row, _) in found.items() if sheet.cell(row, 7).value == "Cần xác định hạn"}
    assert flagged == needs_date and {"II.2", "II.3"} <= flagged
    assert sheet.cell(found["II.1"][0], 7).value == "31/03/2021"
    # Every row that holds wrapped text has a height set: none prints over the next.
    for row in range(HEAD, sheet.max_row + 1):
        if any(isinstance(c.value, str) and len(c.value) > 12 for c in sheet[row]):
            assert sheet.row_dimensions[row].height, row


def test_a_running_quarter_states_only_its_day(seeded, reader):
    book = openpyxl.load_workbook(io.BytesIO(download(reader, "year=2021&as_of=2021-12-04")))
    appendix = book["Phụ lục"]
    assert appendix["A2"].value.endswith("NĂM 2021, QUÝ IV (ĐẾN NGÀY 04/12/2021)")
    assert appendix["A4"].value == "Số liệu tính đến ngày 04/12/2021"
    for sheet in book:
        heading = " ".join(str(sheet.cell(row, 1).value or "") for row in range(1, 5))
        assert "04/12/2021" in heading and "31/12/2021" not in heading, sheet.title
        assert heading.count("năm 2021") + heading.count("NĂM 2021") == 1, sheet.title
    indicators = book["Chỉ tiêu"]["A2"].value
    assert indicators.startswith("Số liệu đến ngày 04/12/2021, so với cuối quý trước (30/09/2021)")


def pdf_of(xlsx: bytes, folder) -> tuple[list[str], str]:
    """The workbook printed by LibreOffice: each page's text, and the PDF's path."""
    source = folder / "bao-cao.xlsx"
    source.write_bytes(xlsx)
    # A profile of its own: another LibreOffice running on the machine must not take the job.
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    pdf = folder / "bao-cao.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f"), str(pdf)


def overlapping_words(pdf: str, last_page: int) -> list[tuple[str, str]]:
    """Pairs of words printed over each other on the first pages (a row too short for its wrapped text)."""
    found = []
    for page in range(1, last_page + 1):
        html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), pdf, "-"], check=True,
                              capture_output=True, text=True).stdout
        words = sorted((float(x0), float(y0), float(x1), float(y1), word) for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html))
        for index, (x0, y0, x1, y1, word) in enumerate(words):
            for a0, b0, a1, b1, other in words[index + 1:]:
                if a0 >= x1:
                    break
                wide, tall = min(x1, a1) - max(x0, a0), min(y1, b1) - max(y0, b0)
                if wide > 1 and tall > 0.3 * min(y1 - y0, b1 - b0):
                    found.append((word, other))
    return found


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")) and not os.environ.get("CI"),
                    reason="LibreOffice and poppler are not installed (CI installs them)")
def test_libreoffice_prints_the_appendix_on_a_few_pages_with_nothing_overlapping(seeded, reader, tmp_path):
    some_districts_at_work(seeded)
    pages, pdf = pdf_of(download(reader, "year=2021&quarter=4"), tmp_path)
    appendix = next(i for i, page in enumerate(pages) if ": theo cơ quan" in page)  # the second sheet's first page
    assert 1 <= appendix <= 5, appendix
    printed = "\n".join(pages[:appendix])
    assert "Phụ lục" in pages[0] and "Kèm theo Báo cáo số" in pages[0] and "Cần xác" in printed  # wrapped in its cell
    assert all(re.search(rf"(?m)^\s*{re.escape(code)}\s", printed) for code in ("I.1", "VII.1", "XII.1"))
    assert overlapping_words(pdf, len(pages) - 1) == []
