"""A plan's document uploaded, read in the background, reviewed and imported: digital documents, the pages,
the API, bad input, a reader that dies. (Scans: test_documents_scan.py; corrections: test_documents_proposal.py.)"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from docrender import known_table, to_docx, to_text_pdf
from helpers import bearer, line_of, task_of
from tracker.clock import utcnow
from tracker.documents import reading
from tracker.documents.models import PlanDocument, ProposedRow
from tracker.extensions import db
from tracker.plan.models import Plan, Task
from tracker.progress.models import StatusLine

FIELDS = ("tt", "title", "lead", "executing", "coordinating", "timeline")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def expected_rows() -> list[dict]:
    """The known table's rows as the API should give them back."""
    rows = []
    for row in known_table()[1:]:
        if row[0].strip() in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"):
            rows.append({"tt": row[0], "title": row[1]})
        else:
            rows.append(dict(zip(FIELDS, row[:6])))
    return rows


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """The known table as DOCX, text PDF, XLSX and CSV bytes, made once."""
    folder = tmp_path_factory.mktemp("documents")
    docx = to_docx(known_table(), folder / "ke-hoach.docx")
    pdf = to_text_pdf(docx, folder)
    from openpyxl import Workbook

    book = Workbook()
    for row in known_table():
        book.active.append(row)
    xlsx = io.BytesIO()
    book.save(xlsx)
    text = io.StringIO()
    csv.writer(text).writerows(known_table())
    return {"docx": docx.read_bytes(), "pdf": pdf.read_bytes(), "xlsx": xlsx.getvalue(),
            "csv": text.getvalue().encode("utf-8")}


def upload(client, year: int, name: str, data: bytes):
    """The office's upload through the page."""
    return client.post(f"/plans/{year}/documents", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def read_all(app) -> int:
    """What the scheduler's job does, once."""
    with app.app_context():
        count = reading.read_waiting_documents()
        db.session.remove()
        return count


def document_of(app, name: str) -> PlanDocument:
    with app.app_context():
        document = db.session.scalar(sa.select(PlanDocument).where(PlanDocument.original_name == name)
                                     .order_by(PlanDocument.id.desc()))
        db.session.expunge_all()
        return document


def api_rows(client, headers, year: int, document_id: int) -> list[dict]:
    response = client.get(f"/api/v1/plans/{year}/documents/{document_id}/rows?per_page=500", headers=headers)
    assert response.status_code == 200
    return response.get_json()["items"]


@pytest.mark.parametrize("kind", ["docx", "pdf", "xlsx", "csv"])
def test_a_digital_document_reads_back_exactly(seeded, client, auth, rendered, kind):
    auth.login()
    response = upload(client, 2022, f"ke-hoach-2022.{kind}", rendered[kind])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đang chờ đọc" in page and 'http-equiv="refresh"' in page  # the page follows the reading
    assert read_all(seeded) == 1
    document = document_of(seeded, f"ke-hoach-2022.{kind}")
    assert document.status == "ready", document.error
    rows = api_rows(client, bearer(seeded, "vpdp@test.vn"), 2022, document.id)
    got = [{name: row[name] for name in FIELDS if name in row} for row in rows]
    assert got == expected_rows()  # every cell exact, every row and column, in document order
    flagged = {(row["tt"], name) for row in rows for name in row["flags"]}
    # The only cells left to review: timelines that give no deadline (an illegible one among them).
    assert flagged and all(name == "timeline" for _, name in flagged)
    assert ("2", "timeline") in flagged
    assert not any(row["read_as"] for row in rows)


def test_review_correct_and_import_a_new_year_linked_to_last_year(seeded, client, auth, rendered):
    with seeded.app_context():  # last year: one body half way through II.1, another done
        line = line_of("II.1", "Sở Kế hoạch và Đầu tư")
        line.status, line.progress, line.note = "in_progress", 60, "Đang phân bổ"
        db.session.commit()
    auth.login()
    upload(client, 2022, "kh2022.docx", rendered["docx"])
    read_all(seeded)
    document = document_of(seeded, "kh2022.docx")
    page = client.get(f"/plans/2022/documents/{document.id}").get_data(as_text=True)
    assert "Cần xem lại" in page and "thời gian chưa xác định được hạn" in page
    with seeded.app_context():
        row = db.session.scalar(sa.select(ProposedRow).where(ProposedRow.document_id == document.id,
                                                             ProposedRow.title.like("Kiểm tra công tác phân bổ%")))
        row_id, version = row.id, row.version
    # The office types the deadline it learnt; the cell is settled, the row's other cells kept.
    response = client.post(f"/plans/2022/documents/{document.id}/rows/{row_id}", data={
        f"row{row_id}-{name}": value for name, value in {
            "tt": "2", "title": "Kiểm tra công tác phân bổ giao vốn triển khai xây dựng NTM", "lead": "BCĐ tỉnh",
            "executing": "Thành viên BCĐ, VPĐP tỉnh", "coordinating": "BCĐ cấp huyện, xã", "timeline": "Quý III",
            "version": str(version), "save": "Lưu"}.items()})
    assert response.status_code == 302
    with seeded.app_context():
        row = db.session.get(ProposedRow, row_id)
        assert row.timeline == "Quý III" and "timeline" not in row.flags
    preview = client.get(f"/plans/2022/documents/{document.id}/import").get_data(as_text=True)
    assert "Công việc mới" in preview and "II.1 ← II.1" in preview
    response = client.post(f"/plans/2022/documents/{document.id}/import", data={"carry_over": "y"})
    assert response.status_code == 302
    with seeded.app_context():
        plan = db.session.scalar(sa.select(Plan).where(Plan.year == 2022))
        tasks = {t.code: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id))}
        assert len(tasks) == sum(1 for row in expected_rows() if "lead" in row)
        assert tasks["II.2"].timeline == "Quý III" and tasks["II.2"].due_on.isoformat() == "2022-09-30"
        assert tasks["II.1"].previous.plan.year == 2021 and tasks["II.1"].previous.code == "II.1"
        carried = db.session.scalar(sa.select(StatusLine).where(StatusLine.task_id == tasks["II.1"].id,
                                                                StatusLine.agency.has(name="Sở Kế hoạch và Đầu tư")))
        assert (carried.status, carried.progress) == ("in_progress", 60)
        assert carried.carried_from.task.plan.year == 2021
        assert db.session.get(PlanDocument, document.id).status == "imported"
    task_page = client.get("/tasks/II.1?year=2022").get_data(as_text=True)
    assert "Công việc II.1 của kế hoạch năm 2021" in task_page and "tiếp nối từ năm 2021" in task_page
    # Imported: the rows are read-only now, a second import is refused.
    assert client.post(f"/plans/2022/documents/{document.id}/import", data={}).status_code == 409


def test_a_year_with_a_plan_keeps_progress_on_unchanged_tasks(seeded, client, auth, rendered):
    with seeded.app_context():
        line = db.session.scalars(sa.select(StatusLine).where(StatusLine.task_id == task_of("I.1").id)).first()
        line.status, line.progress = "in_progress", 40
        db.session.commit()
        line_id = line.id
    auth.login()
    upload(client, 2021, "kh2021.xlsx", rendered["xlsx"])
    read_all(seeded)
    document = document_of(seeded, "kh2021.xlsx")
    preview = client.get(f"/api/v1/plans/2021/documents/{document.id}/import",
                         headers=bearer(seeded, "vpdp@test.vn")).get_json()
    assert preview["ok"] and not preview["created"] and not preview["removed"]
    assert "I.1" in preview["unchanged"]
    assert client.post(f"/plans/2021/documents/{document.id}/import", data={}).status_code == 302
    with seeded.app_context():
        assert db.session.get(StatusLine, line_id).progress == 40


def test_a_renamed_item_is_linked_to_the_one_the_office_chooses(seeded, client, auth, rendered):
    office = bearer(seeded, "vpdp@test.vn")
    text = rendered["csv"].decode().replace("Kiện toàn, phân công các thành viên", "Kiện toàn và phân công thành viên")
    response = client.post("/api/v1/plans/2022/documents", headers=office, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(text.encode()), "kh.csv")})
    document = response.get_json()["id"]
    read_all(seeded)
    preview = client.get(f"/api/v1/plans/2022/documents/{document}/import", headers=office).get_json()
    assert "I.1" not in preview["linked"] and preview["linked"]["II.1"] == "II.1"
    with seeded.app_context():
        last_year = task_of("I.1").id
        other_plan_task = task_of("II.2").id
    auth.login()
    page = client.get(f"/plans/2022/documents/{document}/import").get_data(as_text=True)
    assert 'name="link-I.1"' in page and f'<option value="{last_year}">I.1 · ' in page
    url = f"/api/v1/plans/2022/documents/{document}/import"
    refused = client.post(url, headers=office, json={"links": {"I.1": 10**6}})
    assert refused.status_code == 400 and "links" in refused.get_json()["errors"]
    done = client.post(url, headers=office, json={"links": {"I.1": last_year}})
    assert done.status_code == 200 and "I.1" in done.get_json()["linked"]
    with seeded.app_context():
        renamed = db.session.scalar(sa.select(Task).join(Plan).where(Plan.year == 2022, Task.code == "I.1"))
        assert renamed.previous_id == last_year != other_plan_task


def test_the_api_uploads_follows_corrects_and_imports(seeded, client, rendered):
    office = bearer(seeded, "vpdp@test.vn")
    response = client.post("/api/v1/plans/2023/documents", headers=office,
                           data={"file": (io.BytesIO(rendered["csv"]), "kh.csv")}, content_type="multipart/form-data")
    assert response.status_code == 202
    document = response.get_json()
    assert document["status"] == "queued" and document["progress"] == {"pages_done": 0, "pages_total": 0}
    assert response.headers["Location"].endswith(f"/api/v1/plans/2023/documents/{document['id']}")
    read_all(seeded)
    state = client.get(response.headers["Location"], headers=office).get_json()
    assert state["status"] == "ready" and state["progress"] == {"pages_done": 1, "pages_total": 1}
    rows = api_rows(client, office, 2023, document["id"])
    section = rows[0]
    assert section["section"] and "lead" not in section and "timeline" not in section
    flagged = next(row for row in rows if "timeline" in row["flags"])
    url = f"/api/v1/plans/2023/documents/{document['id']}/rows/{flagged['id']}"
    tag = client.get(url, headers=office).headers["ETag"]
    changed = client.patch(url, headers={**office, "If-Match": tag}, json={"timeline": "Quý II"})
    assert changed.status_code == 200 and changed.get_json()["timeline"] == "Quý II"
    assert "timeline" not in changed.get_json()["flags"]
    stale = client.patch(url, headers={**office, "If-Match": tag}, json={"timeline": "Quý IV"})
    assert stale.status_code == 412
    bad = client.patch(url, headers=office, json={"timeline": "x" * 3000})
    assert bad.status_code == 400 and "timeline" in bad.get_json()["errors"]
    done = client.post(f"/api/v1/plans/2023/documents/{document['id']}/import", headers=office, json={})
    assert done.status_code == 200 and len(done.get_json()["created"]) == len(
        [r for r in expected_rows() if "lead" in r])
    assert client.patch(url, headers=office, json={"timeline": "Quý I"}).status_code == 409


def test_only_the_office_uploads_reviews_and_imports(seeded, client, auth, rendered):
    officer = bearer(seeded, "khdt@test.vn")
    response = client.post("/api/v1/plans/2023/documents", headers=officer,
                           data={"file": (io.BytesIO(rendered["csv"]), "kh.csv")}, content_type="multipart/form-data")
    assert response.status_code == 403
    auth.login("khdt@test.vn")
    assert upload(client, 2023, "kh.csv", rendered["csv"]).status_code == 403
    assert client.get("/plans/2023/documents").status_code == 403
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanDocument)) == 0


def test_a_year_outside_the_plan_range_is_not_found(seeded, client, auth):
    auth.login()
    assert client.get("/plans/1999/documents").status_code == 404
    assert client.get("/plans/99999/documents").status_code == 404
    assert client.get("/api/v1/plans/1999/documents", headers=bearer(seeded, "vpdp@test.vn")).status_code == 404


# -- bad input: a clear message, nothing proposed or imported, no stuck job -----------------------------------

def blank_pdf(pages: int) -> bytes:
    """A valid PDF of empty pages, written by hand."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>"]
    objects += ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def office_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol2;</w:document>')


@pytest.fixture(scope="session")
def encrypted_pdf(tmp_path_factory):
    import os
    import subprocess

    folder = tmp_path_factory.mktemp("encrypted")
    (folder / "plan.txt").write_text("TT Nội dung")
    options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"mat-khau"}}')
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", options,
                    "--outdir", str(folder), str(folder / "plan.txt")], check=True, capture_output=True, timeout=180,
                   env={**os.environ, "HOME": str(folder)})
    return (folder / "plan.pdf").read_bytes()


def bad_documents(encrypted: bytes, rendered: dict) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, words the office's message must hold)."""
    wrong_columns = io.StringIO()
    csv.writer(wrong_columns).writerows([["Họ tên", "Ngày sinh"], ["Nguyễn Văn A", "01/01/1980"]])
    return {
        "khoa.pdf": (encrypted, "mật khẩu"),
        "hong.pdf": (b"%PDF-1.4\n" + b"\x00garbage" * 50, "PDF"),
        "dai.pdf": (blank_pdf(200), "200 trang"),
        "trang.pdf": (blank_pdf(2), "Máy chủ này chưa cài") if not services_scans() else (blank_pdf(2), "không tìm thấy bảng"),
        "sai-cot.csv": (wrong_columns.getvalue().encode(), "Không tìm thấy"),
        "laughs.docx": (office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": LAUGHS}), "DTD"),
        "laughs.xlsx": (office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": LAUGHS}), "DTD"),
        "bomb.docx": (office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * (60 * 1024 * 1024)}),
                      "quá nhiều dữ liệu"),
        "khong-bang.docx": (_docx_without_table(), "không có bảng"),
    }


def services_scans() -> bool:
    from tracker.documents.scan import scans_readable

    return scans_readable()


def _docx_without_table() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Kế hoạch không có phụ lục.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_bad_documents_fail_with_a_message_and_change_nothing(seeded, client, auth, encrypted_pdf, rendered):
    auth.login()
    cases = bad_documents(encrypted_pdf, rendered)
    for name, (data, _) in cases.items():
        assert upload(client, 2022, name, data).status_code == 302, name
    assert read_all(seeded) == len(cases)
    for name, (_, words) in cases.items():
        document = document_of(seeded, name)
        assert document.status == "failed" and words.lower() in document.error.lower(), (name, document.error)
        page = client.get(f"/plans/2022/documents/{document.id}").get_data(as_text=True)
        assert document.error in page.replace("&#34;", '"').replace("&#39;", "'") or words in page
        assert "refresh" not in page  # not waiting for ever
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposedRow)) == 0
        assert db.session.scalar(sa.select(Plan).where(Plan.year == 2022)) is None


@pytest.mark.parametrize("name, data, words", [
    ("", b"", "Chọn tệp"),
    ("ke-hoach.exe", b"MZ\x90\x00", "chỉ nhận"),
    ("ke-hoach.pdf", b"", "rỗng"),
    ("ke-hoach.pdf", b"PK\x03\x04 not a pdf", "không đúng định dạng"),
    ("ke-hoach.csv", b"\x00\x01\x02\xff\xfe binary", "không đúng định dạng"),
])
def test_an_unacceptable_upload_is_refused_at_once(seeded, client, auth, name, data, words):
    auth.login()
    response = upload(client, 2022, name, data) if name else client.post("/plans/2022/documents", data={})
    assert response.status_code == 400
    assert words.lower() in response.get_data(as_text=True).lower()
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanDocument)) == 0


def test_a_document_too_large_is_refused(seeded, client, auth):
    seeded.config["DOCUMENT_MAX_BYTES"] = 1000
    auth.login()
    response = upload(client, 2022, "lon.pdf", b"%PDF-1.4\n" + b"0" * 2000)
    assert response.status_code == 400 and "lớn hơn" in response.get_data(as_text=True)


# -- the reader dies -------------------------------------------------------------------------------------------

def test_a_document_whose_reader_died_is_taken_up_again(seeded, client, auth, rendered):
    auth.login()
    upload(client, 2022, "kh.xlsx", rendered["xlsx"])
    now = utcnow()
    with seeded.app_context():
        document = reading.claim_next(now, 300)  # a reader took it, then its process was killed
        db.session.commit()
        assert document.status == "reading" and document.attempts == 1
        # Another process, a minute later: the reader may still be alive; nothing to take.
        assert reading.claim_next(now + timedelta(seconds=60), 300) is None
        db.session.rollback()
    # Ten minutes without a heartbeat: the scheduler's next run reads it through.
    with seeded.app_context():
        later = now + timedelta(minutes=10)
        assert reading.read_waiting_documents(now=lambda: later) == 1
        document = db.session.scalar(sa.select(PlanDocument))
        assert document.status == "ready" and document.attempts == 2 and document.rows


def test_a_document_that_keeps_killing_its_reader_is_given_up(seeded, client, auth, rendered):
    auth.login()
    upload(client, 2022, "kh.xlsx", rendered["xlsx"])
    moment = utcnow()
    with seeded.app_context():
        for attempt in range(reading.MAX_ATTEMPTS):
            moment += timedelta(minutes=10)
            assert reading.claim_next(moment, 300) is not None
            db.session.commit()
        moment += timedelta(minutes=10)
        reading.read_waiting_documents(now=lambda: moment)
        document = db.session.scalar(sa.select(PlanDocument))
        assert document.status == "failed" and "gián đoạn" in document.error


def test_without_tesseract_a_scan_gets_a_message_and_the_app_still_serves(seeded, client, auth, monkeypatch):
    import tracker.documents.scan as scan

    monkeypatch.setattr(scan, "scans_readable", lambda: False)
    auth.login()
    page = client.get("/plans/2022/documents").get_data(as_text=True)
    assert "tesseract-ocr-vie" in page
    from PIL import Image

    image = io.BytesIO()
    Image.new("L", (800, 600), 255).save(image, "PNG")
    upload(client, 2022, "scan.png", image.getvalue())
    read_all(seeded)
    document = document_of(seeded, "scan.png")
    assert document.status == "failed" and "tesseract-ocr-vie" in document.error
