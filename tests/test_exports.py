"""The quarterly report out of the app (XLSX, DOCX, CSV) and the calendar feed, opened and read back."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from docx import Document
from icalendar import Calendar

from helpers import issue_token, line_of, user_of
from test_dashboard import add_activity
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.progress.models import StatusLine

APPENDIX_HEAD = ["TT", "Nội dung công việc", "Chỉ đạo", "Cơ quan thực hiện", "Cơ quan phối hợp", "Thời gian"]
NASTY = "=HYPERLINK(\"http://x.example\",\"bấm\")"


def with_nasty_note(app) -> None:
    with app.app_context():
        line = line_of("II.1", "Sở Kế hoạch và Đầu tư")
        line.status, line.progress, line.note, line.started_on = "in_progress", 40, NASTY, date(2021, 2, 1)
        done = line_of("II.2", "Sở Tài chính") if line_of("II.2", "Sở Tài chính") else None
        if done is not None:
            done.status, done.progress, done.completed_on = "done", 100, date(2021, 3, 20)
        db.session.commit()


def test_the_xlsx_has_the_appendix_layout_each_body_and_the_counts(seeded, reader):
    add_activity(seeded)
    with_nasty_note(seeded)
    with reader.get("/reports/quarterly.xlsx?year=2021&quarter=1") as response:  # streamed from a file: close it
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == "attachment; filename=bao-cao-quy-1-2021.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Phụ lục", "Theo cơ quan", "Theo mục", "Chỉ tiêu", "Chỉ tiêu theo huyện"]
    sheet = book["Phụ lục"]
    assert sheet["A1"].value == "Phụ lục" and sheet["A2"].value.endswith("NĂM 2021, QUÝ I")
    assert sheet["A4"].value == "Số liệu tính đến ngày 31/03/2021"
    header = [c.value for c in sheet[6]]
    assert header[:6] == APPENDIX_HEAD
    assert header[8:] == ["Cơ quan báo cáo", "Tình hình của cơ quan", "Trạng thái", "Tiến độ (%)", "Ngày hoàn thành",
                          "Ghi chú mới nhất"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=7)]
    assert rows[0][0] == "I. Kiện toàn bộ máy"  # a section row, merged across
    # A task's cells are merged down over its bodies' rows: II.1 names three bodies, each on its own row.
    start = next(i for i, r in enumerate(rows) if r[0] == "II.1")
    with seeded.app_context():
        bodies = db.session.scalar(sa.select(sa.func.count(StatusLine.id)).join(Task).where(Task.code == "II.1"))
    ii1 = rows[start:start + bodies]
    assert f"A{start + 7}:A{start + 6 + bodies}" in {str(r) for r in sheet.merged_cells.ranges}
    assert ii1[0][1] == "Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021" and ii1[0][5] == "Quý I"
    assert ii1[0][6] == "31/03/2021" and all(r[1] in ("", None) for r in ii1[1:])
    khdt = next(r for r in ii1 if r[8] == "Sở Kế hoạch và Đầu tư")
    assert khdt[10] == "Đang thực hiện" and khdt[11] == 40
    # A note that would be a formula is text, with the apostrophe OWASP advises.
    assert khdt[13] == "'" + NASTY
    cell = next(c for row in sheet.iter_rows(min_row=7) for c in row if c.value == "'" + NASTY)
    assert cell.data_type == "s"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    setup = sheet.page_setup  # one page wide (1 is the file format's default width), as many tall as it takes
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
    assert sheet.print_title_rows == "$6:$6"
    # The second sheet: each agency's counts, as the dashboard's API gives them on the same date.
    api = reader.get("/api/v1/dashboard?as_of=2021-03-31").get_json()
    matrix = {row[0].value: [c.value for c in row[1:]] for row in book["Theo cơ quan"].iter_rows(min_row=5)}
    for agency in api["agencies"]:
        assert matrix[agency["label"]] == [*agency["counts"].values(), agency["total"]]


def test_the_docx_draft_has_the_counts_the_matrix_the_overdue_and_the_reports(seeded, reader):
    from tracker.reporting.models import ReportingRound
    from tracker.reporting.services import submit_report

    add_activity(seeded)
    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        officer = user_of("dinhlap@test.vn")
        submit_report(q1, officer.agency, officer, "Huyện đã hoàn thành 3 nhiệm vụ.\nCòn vướng vốn đối ứng.",
                      date(2021, 3, 16))
        db.session.commit()
    response = reader.get("/reports/quarterly.docx?as_of=2021-04-15")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    # Decree 30/2020: "BÁO CÁO" alone, the trích yếu beneath it in ordinary case; a running quarter says its day.
    assert text.startswith("BÁO CÁO\nTình hình thực hiện") and "năm 2021, quý II (đến ngày 15/04/2021)" in text
    api = reader.get("/api/v1/dashboard?as_of=2021-04-15").get_json()
    assert f"Kế hoạch có {sum(api['overall'].values())} nhiệm vụ" in text
    assert f"quá hạn, chưa hoàn thành {api['overall']['overdue']}" in text
    matrix, overdue = document.tables[2], document.tables[3]  # after the header and signature tables, in the annexes
    assert [c.text for c in matrix.rows[0].cells][0] == "Cơ quan" and len(matrix.rows) == len(api["agencies"]) + 1
    assert [c.text for c in overdue.rows[0].cells] == ["TT", "Nội dung công việc", "Cơ quan", "Hạn", "Quá (ngày)", "Ghi chú"]
    assert matrix.rows[0]._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None
    section = document.sections[-1]
    assert section.page_width > section.page_height  # the annexes are landscape
    q1_report = reader.get("/reports/quarterly.docx?year=2021&quarter=1")
    q1_text = "\n".join(p.text for p in Document(io.BytesIO(q1_report.data)).paragraphs)
    assert "UBND huyện Đình Lập (nộp ngày 16/03/2021)" in q1_text and "Còn vướng vốn đối ứng." in q1_text


def test_csv_of_tasks_and_of_lines(seeded, reader):
    add_activity(seeded)
    with_nasty_note(seeded)
    tasks = reader.get("/reports/quarterly.csv?year=2021&quarter=1")
    assert tasks.headers["Content-Type"].startswith("text/csv") and tasks.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(tasks.get_data(as_text=True).lstrip("\ufeff"))))
    with seeded.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Task.id)))
        lines = db.session.scalar(sa.select(sa.func.count(StatusLine.id)))
    assert rows[0][:3] == ["TT", "Mục", "Nội dung công việc"] and len(rows) == count + 1
    assert rows[1][0] == "I.1" and re.fullmatch(r"\d\d/\d\d/\d{4}|", rows[2][7])
    line_rows = list(csv.reader(io.StringIO(
        reader.get("/reports/quarterly.csv?year=2021&quarter=1&rows=lines").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(line_rows) == lines + 1
    assert ["II.1", "II", "Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021", "Sở Kế hoạch và Đầu tư"] == \
        next(r for r in line_rows if r[0] == "II.1" and r[3] == "Sở Kế hoạch và Đầu tư")[:4]
    assert any(r[8] == "'" + NASTY for r in line_rows)


@pytest.mark.parametrize("query", ["quarter=5", "quarter=²", "as_of=2021-13-01", "year=1999"])
def test_bad_report_parameters_get_a_clear_answer(reader, query):
    response = reader.get(f"/reports/quarterly.xlsx?{query}")
    assert response.status_code in (400, 404)
    assert "<!doctype html>" in response.get_data(as_text=True)


def test_reports_need_an_account_and_the_api_a_token(seeded, client):
    assert client.get("/reports/quarterly.xlsx").status_code == 302
    assert client.get("/api/v1/reports/quarterly.xlsx?year=2021&quarter=1").status_code == 401
    token = issue_token(seeded, "lanhdao@test.vn")
    with client.get("/api/v1/reports/quarterly.xlsx?year=2021&quarter=1",
                    headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[0] == "Phụ lục"
    assert client.get("/api/v1/reports/quarterly.pdf", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def calendar_address(client) -> str:
    page = client.post("/profile/calendar").get_data(as_text=True)
    return re.search(r'<code class="token">(http://localhost/calendar/[^<]+\.ics)</code>', page).group(1)


def test_the_calendar_feed_holds_deadlines_and_due_dates_and_can_be_revoked(seeded, client, auth):
    auth.login("dinhlap@test.vn")
    address = calendar_address(client)
    auth.logout()
    feed = client.get(address.removeprefix("http://localhost"))  # a calendar app: no session
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    ii1 = events["Hạn II.1: Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021"]
    assert ii1.decoded("dtstart") == date(2021, 3, 31) and str(ii1["uid"]).startswith("task-")
    assert events["Hạn nộp: Báo cáo quý I năm 2021"].decoded("dtstart") == date(2021, 3, 18)
    with seeded.app_context():
        fixed = db.session.scalar(sa.select(sa.func.count(Task.id)).where(
            Task.due_on.is_not(None), Task.schedule_kind.not_in(("ongoing", "recurring", "periodic"))))
    assert len([s for s in events if s.startswith("Hạn ") and not s.startswith("Hạn nộp")]) == fixed
    # One agency's feed: only the work that names it and the rounds it owes.
    with seeded.app_context():
        dinhlap = user_of("dinhlap@test.vn").agency_id
    own = Calendar.from_ical(client.get(address.removeprefix("http://localhost") + f"?agency={dinhlap}").data)
    own_summaries = {str(e["summary"]) for e in own.walk("VEVENT")}
    assert own_summaries < set(events) and "Hạn nộp: Báo cáo quý I năm 2021" in own_summaries
    auth.login("dinhlap@test.vn")
    named = client.get(f"/api/v1/tasks?agency={dinhlap}&per_page=500").get_json()["items"]
    fixed_named = {t["code"] for t in named
                   if t["schedule"]["due"] and t["schedule"]["kind"] not in ("ongoing", "recurring", "periodic")}
    assert {re.match(r"Hạn (\S+):", s).group(1) for s in own_summaries if not s.startswith("Hạn nộp")} == fixed_named
    assert len(fixed_named) < fixed
    # A calendar app asking again gets 304 until something is written.
    etag = feed.headers["ETag"]
    assert client.get(address.removeprefix("http://localhost"), headers={"If-None-Match": etag}).status_code == 304
    with seeded.app_context():
        db.session.get(Task, db.session.scalar(sa.select(Task.id).where(Task.code == "II.1"))).due_on = date(2021, 4, 5)
        db.session.commit()
    moved = client.get(address.removeprefix("http://localhost"), headers={"If-None-Match": etag})
    assert moved.status_code == 200 and b"20210405" in moved.data
    client.post("/profile/calendar/revoke")
    assert client.get(address.removeprefix("http://localhost")).status_code == 404
    assert client.get("/calendar/cal_khong-co.ics").status_code == 404
