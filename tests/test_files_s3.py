"""Attachments in an S3-compatible bucket (TRACKER_FILES_URL=s3://…), against a real SeaweedFS started by the
tests: uploads land in the bucket and none in the host's folder, downloads come back byte for byte under their
names and through the app's permission check, a damaged file is caught by its checksum, a store that is down
loses nothing, `flask files migrate` moves a folder's files in, backups hold the bucket's files, and plan
documents are stored and read from the bucket."""
from __future__ import annotations

import hashlib
import io
import logging
import os
import socket
import tempfile
import tracemalloc
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from helpers import bearer, line_id, post_line, task_of, user_of
from tracker import create_app
from tracker.config import ConfigurationError
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.progress.models import StatusLine, TaskEvent

NAME = "Tờ trình số 12 (Đình Lập).pdf"


def pdf(size: int = 400 * 1024, seed: bytes = b"a") -> bytes:
    """A PDF-looking file of `size` bytes, different for each seed. (Under Werkzeug's test client's 500 KB, past
    which it leaves its own temporary file of the request's body open; streaming is tested on its own below.)"""
    block = hashlib.sha256(seed).digest() * 2048
    return (b"%PDF-1.4\n" + block * (size // len(block) + 1))[:size]


def _attachments(app) -> list[Attachment]:
    with app.app_context():
        found = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
        db.session.expunge_all()
        return found


def fetch(client, url: str, **kwargs):
    """GET a file and close the response, as a WSGI server does once it is sent (the test client does not)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _store_down(monkeypatch) -> None:
    """Point the app at an address where no store answers (connection refused)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")


@pytest.mark.parametrize("url, words", [("ftp://files.langson.gov.vn/x", "s3://bucket/prefix"),
                                        ("s3:///no-bucket", "s3://bucket"), ("file://relative/path", "file:///")])
def test_a_files_url_the_app_cannot_use_stops_it_at_start(monkeypatch, tmp_path, url, words):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.setenv("TRACKER_FILES_URL", url)
    with pytest.raises(ConfigurationError, match="TRACKER_FILES_URL") as refused:
        create_app()
    assert words in str(refused.value)


def test_an_update_s_file_goes_to_the_bucket_and_comes_back_byte_for_byte(seeded, client, auth, bucket):
    data = pdf()
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    assert post_line(client, "II.1", lid, note="Đã trình", attachments=(io.BytesIO(data), NAME)).status_code == 302

    [attachment] = _attachments(seeded)
    assert bucket.names() == [attachment.stored_name]  # in the bucket under its generated name, nothing pending
    assert bucket.read(attachment.stored_name) == data
    assert not os.path.exists(seeded.config["UPLOAD_FOLDER"]) or os.listdir(seeded.config["UPLOAD_FOLDER"]) == []
    assert (attachment.checksum, attachment.size, attachment.original_name) == (hashlib.sha256(data).hexdigest(),
                                                                               len(data), NAME)

    download = fetch(client, f"/attachments/{attachment.id}")
    assert download.status_code == 200 and download.get_data() == data
    assert f"filename*=UTF-8''{quote(NAME)}" in download.headers["Content-Disposition"]
    assert download.mimetype == "application/pdf"

    # Only through the app's permission check: signed out, a redirect to sign in; the API without a token, 401.
    auth.logout()
    signed_out = fetch(client, f"/attachments/{attachment.id}")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"] and data not in signed_out.get_data()
    assert fetch(client, f"/api/v1/attachments/{attachment.id}").status_code == 401
    # Another agency's officer reads every task, and so its files, as with a folder.
    other = fetch(client, f"/api/v1/attachments/{attachment.id}", headers=bearer(seeded, "noivu@test.vn"))
    assert other.status_code == 200 and other.get_data() == data


def test_the_api_s_files_go_to_the_bucket_and_come_back(seeded, client, bucket):
    data = pdf(seed=b"api")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    officer = bearer(seeded, "khdt@test.vn")
    response = client.post(f"/api/v1/lines/{lid}/attachments", headers=officer, content_type="multipart/form-data",
                           data={"attachments": [(io.BytesIO(data), NAME), (io.BytesIO(b"\x89PNG\r\n\x1a\nxyz"), "ảnh.png")]})
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert [item["name"] for item in stored] == [NAME, "ảnh.png"]
    assert sorted(bucket.names()) == sorted(a.stored_name for a in _attachments(seeded))
    download = fetch(client, stored[0]["url"], headers=officer)
    assert download.status_code == 200 and download.get_data() == data
    assert f"filename*=UTF-8''{quote(NAME)}" in download.headers["Content-Disposition"]
    # An officer of another agency cannot attach to this line, and nothing of its file is stored.
    refused = client.post(f"/api/v1/lines/{lid}/attachments", headers=bearer(seeded, "noivu@test.vn"),
                          content_type="multipart/form-data", data={"attachments": [(io.BytesIO(data), NAME)]})
    assert refused.status_code == 403 and len(bucket.names()) == 2


def test_a_file_changed_in_the_bucket_is_not_sent_and_is_logged(seeded, client, auth, bucket, caplog):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    post_line(client, "II.1", lid, attachments=(io.BytesIO(pdf()), NAME))
    [attachment] = _attachments(seeded)
    bucket.write(attachment.stored_name, pdf(seed=b"tampered"))  # same size, other bytes

    with caplog.at_level(logging.ERROR, logger="tracker.files"):
        page = fetch(client, f"/attachments/{attachment.id}")
    assert page.status_code == 502 and page.mimetype == "text/html"
    assert "không còn giống bản đã tải lên" in page.get_data(as_text=True) and NAME in page.get_data(as_text=True)
    assert any(attachment.stored_name in record.getMessage() and "checksum" in record.getMessage()
               for record in caplog.records)

    api = fetch(client, f"/api/v1/attachments/{attachment.id}", headers=bearer(seeded, "khdt@test.vn"))
    assert api.status_code == 502 and api.mimetype == "application/problem+json"
    assert api.get_json()["type"] == "/api/problems/file-damaged"

    bucket.write(attachment.stored_name, pdf())  # put back from a backup: served again
    assert fetch(client, f"/attachments/{attachment.id}").get_data() == pdf()


def test_a_store_that_is_down_keeps_the_update_s_text_and_says_to_attach_again(seeded, client, auth, bucket,
                                                                               monkeypatch):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    _store_down(monkeypatch)
    response = post_line(client, "II.1", lid, status="in_progress", progress="60", note="Đã trình UBND tỉnh dự thảo",
                         attachments=(io.BytesIO(pdf()), NAME))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu cập nhật, nhưng chưa lưu được tệp" in page and f"«{NAME}»" in page and "đính kèm lại" in page
    with seeded.app_context():
        line = db.session.get(StatusLine, lid)
        assert (line.status, line.progress, line.note) == ("in_progress", 60, "Đã trình UBND tỉnh dự thảo")
        kinds = set(db.session.scalars(sa.select(TaskEvent.kind).where(TaskEvent.task_id == line.task_id)))
        assert "attachment" not in kinds
    assert _attachments(seeded) == []

    # The API's attach: a problem, nothing saved; a download: 503, not a 500.
    officer = bearer(seeded, "khdt@test.vn")
    refused = client.post(f"/api/v1/lines/{lid}/attachments", headers=officer, content_type="multipart/form-data",
                          data={"attachments": [(io.BytesIO(pdf()), NAME)]})
    assert refused.status_code == 503 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"] == "/api/problems/storage-unavailable"
    assert "chưa có gì được lưu" in refused.get_json()["detail"] and _attachments(seeded) == []

    # Back up: the file is attached again with the same form, and downloads.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    assert post_line(client, "II.1", lid, version=2, status="in_progress", progress="60", note="Đã trình UBND tỉnh dự thảo",
                     attachments=(io.BytesIO(pdf()), NAME)).status_code == 302
    [attachment] = _attachments(seeded)
    assert bucket.names() == [attachment.stored_name]

    _store_down(monkeypatch)
    page = fetch(client, f"/attachments/{attachment.id}")
    assert page.status_code == 503 and "chưa tải được tệp" in page.get_data(as_text=True)
    api = fetch(client, f"/api/v1/attachments/{attachment.id}", headers=officer)
    assert api.status_code == 503 and api.get_json()["type"] == "/api/problems/storage-unavailable"


def test_a_rolled_back_transaction_leaves_no_object(seeded, bucket):
    from tracker.files.services import check_upload, store_uploads

    with seeded.app_context():
        store_uploads([check_upload(FileStorage(io.BytesIO(pdf()), NAME))], user_of("khdt@test.vn"), task=task_of("II.1"))
        assert len(bucket.names()) == 1  # written before its row is flushed…
        db.session.rollback()
        assert bucket.names() == []  # …and gone with the transaction


def test_an_upload_is_copied_in_chunks_not_held_in_memory(seeded, bucket):
    from tracker.files.services import stage_file

    size = 9 * 1024 * 1024
    with seeded.app_context(), tempfile.TemporaryFile() as spooled:  # as Werkzeug spools a large upload
        spooled.write(pdf(size))
        spooled.seek(0)
        tracemalloc.start()
        try:
            name = stage_file(spooled)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        db.session.commit()
    assert peak < size / 3, f"{peak} bytes at the peak of a {size}-byte upload"
    assert bucket.read(name) == pdf(size)


def test_the_sweep_deletes_objects_no_attachment_names(seeded, client, auth, bucket, runner):
    auth.login("khdt@test.vn")
    post_line(client, "II.1", line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư"), attachments=(io.BytesIO(pdf()), NAME))
    bucket.write("0123abcd", b"left by a killed worker")
    assert runner.invoke(args=["files", "sweep", "--min-age", "3600"]).output.startswith("Đã xóa 0 tệp")
    result = runner.invoke(args=["files", "sweep", "--min-age", "0"])
    assert result.exit_code == 0 and "0123abcd" in result.output
    assert bucket.names() == [a.stored_name for a in _attachments(seeded)]


def test_files_migrate_copies_the_folder_into_the_bucket_verified_and_again_does_nothing(seeded, client, auth, runner,
                                                                                        bucket):
    # Files uploaded while the app kept them in its folder, one from before checksums were kept.
    files_url = seeded.config.pop("FILES_URL")
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    first, second = pdf(seed=b"1"), pdf(seed=b"2")
    post_line(client, "II.1", lid, attachments=(io.BytesIO(first), "một.pdf"))
    post_line(client, "II.1", lid, version=2, attachments=(io.BytesIO(second), "hai.pdf"))
    old, new = _attachments(seeded)
    with seeded.app_context():
        db.session.execute(sa.update(Attachment).where(Attachment.id == old.id).values(checksum=None))
        db.session.commit()
    folder = seeded.config["UPLOAD_FOLDER"]
    with open(os.path.join(folder, "stray.part"), "wb") as stray:  # a killed worker's: not copied
        stray.write(b"x")

    seeded.config["FILES_URL"] = files_url
    result = runner.invoke(args=["files", "migrate"])
    assert result.exit_code == 0, result.output
    assert "Đã chép và kiểm tra 2 tệp; 0 tệp đã có sẵn" in result.output
    assert "Đã ghi mã kiểm tra SHA-256 cho 1 tệp" in result.output
    assert bucket.names() == sorted([old.stored_name, new.stored_name])
    assert (bucket.read(old.stored_name), bucket.read(new.stored_name)) == (first, second)
    assert [a.checksum for a in _attachments(seeded)] == [hashlib.sha256(first).hexdigest(),
                                                          hashlib.sha256(second).hexdigest()]

    again = runner.invoke(args=["files", "migrate"])
    assert again.exit_code == 0 and "Đã chép và kiểm tra 0 tệp; 2 tệp đã có sẵn" in again.output

    # The app now serves them from the bucket, the folder gone.
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    assert fetch(client, f"/attachments/{old.id}").get_data() == first

    # A local file that is no longer what was uploaded is reported and not copied over the good one.
    with open(os.path.join(folder, new.stored_name), "wb") as damaged:
        damaged.write(pdf(seed=b"rot"))
    refused = runner.invoke(args=["files", "migrate"])
    assert refused.exit_code == 1 and "1 tệp hỏng" in refused.output and new.stored_name in refused.output
    assert bucket.read(new.stored_name) == second


def test_files_migrate_needs_a_bucket(seeded, runner):
    result = runner.invoke(args=["files", "migrate"])
    assert result.exit_code != 0 and "s3://bucket/prefix" in result.output


def test_a_backup_holds_the_bucket_s_files_and_a_restore_puts_them_back(seeded, client, auth, runner, bucket, tmp_path):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    data = pdf(seed=b"backup")
    assert post_line(client, "II.1", lid, attachments=(io.BytesIO(data), NAME)).status_code == 302
    [attachment] = _attachments(seeded)
    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "và 1 tệp đính kèm" in result.output
    assert (tmp_path / "backup" / "uploads" / attachment.stored_name).read_bytes() == data

    # Later: the object is lost and another appears; the restore makes the bucket's files those of the backup.
    bucket.delete(attachment.stored_name)
    bucket.write("later", b"%PDF- after the backup")
    result = runner.invoke(args=["restore", str(tmp_path / "backup"), "--yes"])
    assert result.exit_code == 0, result.output
    assert bucket.names() == [attachment.stored_name]
    auth.login("khdt@test.vn")
    assert fetch(client, f"/attachments/{attachment.id}").get_data() == data


def test_a_plan_document_is_stored_in_the_bucket_and_read_from_it(seeded, client, auth, bucket):
    import csv

    from docrender import known_table
    from tracker.documents import reading
    from tracker.documents.models import PlanDocument

    text = io.StringIO()
    csv.writer(text).writerows(known_table())
    data = text.getvalue().encode("utf-8")
    auth.login("vpdp@test.vn")
    response = client.post("/plans/2022/documents", data={"file": (io.BytesIO(data), "Kế hoạch 2022.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with seeded.app_context():
        document = db.session.scalar(sa.select(PlanDocument))
        assert bucket.names() == [document.stored_name] and bucket.read(document.stored_name) == data
        assert document.checksum == hashlib.sha256(data).hexdigest()
        assert reading.read_waiting_documents() == 1
        db.session.refresh(document)
        assert document.status == "ready" and len(document.rows) == len(known_table()) - 1
    assert not os.path.exists(seeded.config["UPLOAD_FOLDER"]) or os.listdir(seeded.config["UPLOAD_FOLDER"]) == []


def test_a_plan_document_waits_while_the_store_is_down(seeded, client, auth, bucket, monkeypatch):
    from tracker.documents import reading
    from tracker.documents.models import PlanDocument

    auth.login("vpdp@test.vn")
    data = "TT,Nội dung\n1,Việc\n".encode()
    assert client.post("/plans/2022/documents", data={"file": (io.BytesIO(data), "kh.csv")},
                       content_type="multipart/form-data").status_code == 302
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    _store_down(monkeypatch)
    with seeded.app_context():
        assert reading.read_waiting_documents() == 0  # none read, none given up on
        document = db.session.scalar(sa.select(PlanDocument))
        assert (document.status, document.attempts, document.error) == ("queued", 0, "")
        db.session.remove()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    with seeded.app_context():
        assert reading.read_waiting_documents() == 1
        document = db.session.scalar(sa.select(PlanDocument))
        assert document.status != "queued" and document.attempts == 1
