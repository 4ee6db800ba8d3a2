"""Bad input anywhere gets a clear answer in Vietnamese and changes nothing; no request answers 500."""
import pytest

HUGE = "9" * 30


@pytest.mark.parametrize("path", [
    f"/agencies/{HUGE}", f"/tasks/II.1/lines/{HUGE}", f"/attachments/{HUGE}", f"/rounds/{HUGE}",
    f"/outbox/{HUGE}", f"/admin/users/{HUGE}", "/agencies/%C2%B2", "/agencies/-1",
])
def test_ids_no_column_can_hold_are_not_found(reader, path):
    response = reader.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    f"year={HUGE}", "year=%C2%B2", "year=-5", f"agency={HUGE}", "agency=%C2%B2", "agency=%D9%A3",
    f"page={HUGE}", f"as_of={HUGE}", "as_of=2021-02-30", "section=%00",
])
def test_numbers_and_dates_no_one_could_mean_never_crash_a_list(reader, query):
    for path in ("/", "/api/v1/tasks", "/reminders", "/rounds"):
        response = reader.get(f"{path}?{query}")
        assert response.status_code in (200, 400, 404), (path, query, response.status_code)
    assert reader.get(f"/api/v1/tasks?per_page={HUGE}").get_json()["errors"]["per_page"]


def test_error_pages_speak_vietnamese(reader):
    page = reader.get("/khong-co-trang-nay").get_data(as_text=True)
    assert "Không tìm thấy trang hoặc dữ liệu này." in page and "The requested URL" not in page
    api = reader.get("/api/v1/khong-co").get_json()
    assert api["detail"] == "Không tìm thấy trang hoặc dữ liệu này."
    assert "không nhận yêu cầu kiểu này" in reader.put("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/tasks/II.1", "/api/v1/tasks", "/static/style.css", "/login"])
def test_every_response_carries_the_security_headers(reader, path):
    with reader.get(path) as response:  # a static file is streamed: close it
        headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain http: HSTS would be ignored, or worse, pinned


def test_hsts_over_https_and_forwarded_proto_only_when_told(seeded):
    from conftest import another_app

    secure = seeded.test_client().get("/login", base_url="https://tracker.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in seeded.test_client().get("/login", headers=forwarded).headers
    proxied = another_app(seeded, PROXY_FIX=1)
    assert "Strict-Transport-Security" in proxied.test_client().get("/login", headers=forwarded).headers


def test_a_storage_fault_answers_503_in_vietnamese_and_the_next_request_works(seeded, client, auth, monkeypatch):
    import sqlalchemy as sa

    from helpers import line_id, post_line
    from tracker.progress import services

    def locked(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE status_line …", {}, Exception("database is locked"))

    auth.login("khdt@test.vn")
    monkeypatch.setattr(services, "update_line", locked)
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    response = post_line(client, "II.1", lid, status="in_progress", progress="40")
    assert response.status_code == 503 and "chưa có gì thay đổi" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/tasks/II.1").status_code == 200
    assert post_line(client, "II.1", lid, status="in_progress", progress="40").status_code == 302


def test_a_lost_race_on_a_unique_key_answers_409(seeded, client, auth, monkeypatch):
    import sqlalchemy as sa

    from tracker.progress import services

    def raced(*args, **kwargs):
        raise sa.exc.IntegrityError("INSERT INTO assignment …", {}, Exception("UNIQUE constraint failed"))

    auth.login("vpdp@test.vn")
    monkeypatch.setattr(services, "add_assignment", raced)
    response = client.post("/tasks/II.1/assignments", data={"agency": "Sở Nội vụ", "role": "coordinating"})
    assert response.status_code == 409 and "cùng lúc" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/tasks/II.1").status_code == 200


def test_a_read_only_database_file_serves_reads_and_refuses_writes_with_503(seeded, client, auth):
    """A real read-only database (SQLite opened with mode=ro: what a read-only file or mount gives
    the app; chmod alone does not stop root, who runs the tests in CI)."""
    import io
    import os

    import sqlalchemy as sa

    from conftest import another_app
    from databases import on_postgresql
    from helpers import line_id, post_line
    from tracker.extensions import db
    from tracker.progress.models import StatusLine

    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    if on_postgresql():
        # What a hot standby answers after a fail-over, or a role limited to reading.
        read_only = another_app(seeded, SQLALCHEMY_ENGINE_OPTIONS={
            "connect_args": {"options": "-c default_transaction_read_only=on"}})
        refusal = (sa.exc.InternalError, "read-only transaction")
    else:
        path = seeded.config["DATABASE_URL"].removeprefix("sqlite:///")
        read_only = another_app(seeded, DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true")
        refusal = (sa.exc.OperationalError, "readonly")
    with read_only.app_context():
        if not on_postgresql():
            assert db.session.execute(sa.text("PRAGMA query_only")).scalar() == 0  # read-only by the file, not by us
        with pytest.raises(refusal[0], match=refusal[1]):
            db.session.execute(sa.text("UPDATE status_line SET note = 'x'"))
        db.session.rollback()
    auth.login("khdt@test.vn")
    viewer = read_only.test_client()
    viewer.set_cookie("session", client.get_cookie("session").value)
    for page in ("/", "/tasks/II.1", "/agencies", "/api/v1/tasks", "/rounds"):
        assert viewer.get(page).status_code == 200, page
    uploads = seeded.config["UPLOAD_FOLDER"]
    files_before = sorted(os.listdir(uploads)) if os.path.isdir(uploads) else []
    response = post_line(viewer, "II.1", lid, status="in_progress", progress="40", note="Đang làm",
                         attachments=(io.BytesIO(b"%PDF-1.4 " + b"x" * 50_000), "Báo cáo.pdf"))
    assert response.status_code == 503
    assert "Máy chủ tạm thời không lưu được dữ liệu" in response.get_data(as_text=True)
    assert (sorted(os.listdir(uploads)) if os.path.isdir(uploads) else []) == files_before  # no partial file
    signing_in = viewer.post("/login", data={"email": "khdt@test.vn", "password": "x"})
    assert signing_in.status_code == 503  # the attempt cannot be counted, so it is not checked
    with seeded.app_context():
        line = db.session.get(StatusLine, lid)
        assert (line.status, line.progress, line.version) == ("not_started", 0, 1)


def test_an_unknown_outbox_state_is_a_clear_400(seeded, client, auth):
    auth.login()
    response = client.get("/outbox?status=999999999999999999999999999999")
    assert response.status_code == 400 and "Không có trạng thái thư" in response.get_data(as_text=True)
    assert client.get("/outbox?status=unconfirmed").status_code == 200


@pytest.mark.parametrize("query", ["category=%20", "category=%20overdue%20", "role=%20", "sort=%09", "kind=%20%20"])
def test_blank_or_padded_choices_are_read_as_meant(reader, query):
    for path in ("/", "/api/v1/tasks"):
        assert reader.get(f"{path}?{query}").status_code == 200, (path, query)


def test_an_id_no_column_holds_is_a_404(seeded, client, auth):
    """An id beyond a 32-bit column (PostgreSQL refuses to compare one) is a page that does not exist."""
    auth.login()
    for path in ("/rounds/2147483648", "/indicators/99999999999", "/outbox/15506750780"):
        assert client.get(path).status_code == 404, path
    assert client.get("/rounds/2147483647").status_code == 404
