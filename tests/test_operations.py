"""What operations rely on: /healthz, one JSON log line per request and per job with its id, storage."""
from __future__ import annotations

import io
import json
import logging

import pytest
import sqlalchemy as sa

from conftest import another_app
from tracker.config import ConfigurationError
from tracker.extensions import db
from tracker.logs import JsonFormatter


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": "unversioned"}


def test_healthz_says_when_the_schema_is_behind_the_code(app, client):
    from tracker.health import _head_revision

    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('1f4ce28b978a')"))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["message"] == "run `flask db upgrade`"
    with app.app_context():
        head = _head_revision(str(app.root_path).rsplit("/", 1)[0] + "/migrations")
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "schema": head}


def test_healthz_is_503_when_the_database_does_not_answer(app, tmp_path):
    down = another_app(app, DATABASE_URL=f"sqlite:///{tmp_path}/no/such/folder/x.sqlite")
    response = down.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_each_request_is_logged_once_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="tracker.request")
    response = client.get("/login", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    invented = client.get("/login", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert invented != "<script>" and len(invented) == 32
    records = [r for r in caplog.records if r.name == "tracker.request"]
    assert [(r.request_id, r.method, r.path, r.status) for r in records] == [
        ("nginx-0123456789abcdef", "GET", "/login", 200), (invented, "GET", "/login", 200)]
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["event"] == "request" and line["request_id"] == "nginx-0123456789abcdef" and line["ms"] >= 0
    assert line["level"] == "info" and line["time"].endswith("+00:00")


def test_a_successful_health_check_is_not_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="tracker.request")
    client.get("/healthz")
    assert [r for r in caplog.records if r.name == "tracker.request"] == []


def test_a_log_line_inside_a_request_carries_the_request_id(app):
    record = logging.LogRecord("tracker.x", logging.WARNING, __file__, 1, "Dữ liệu %s", ("lạ",), None)
    with app.test_request_context("/", headers={"X-Request-ID": "abcdefgh12345678"}):
        app.preprocess_request()
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Dữ liệu lạ" and line["request_id"] == "abcdefgh12345678"


def test_each_job_run_is_logged_with_its_outcome(seeded, caplog):
    from apscheduler.schedulers.background import BackgroundScheduler

    from tracker.reminders.jobs import build_scheduler

    caplog.set_level(logging.INFO, logger="tracker.scheduler")
    scheduler = build_scheduler(seeded, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        scheduler.leader.check()
        scheduler.get_job("database.statistics").func()
    finally:
        scheduler.shutdown(wait=False)
        scheduler.leader.step_down()
    runs = [r for r in caplog.records if getattr(r, "event", None) == "job"]
    assert [(r.job, r.outcome) for r in runs] == [("database.statistics", "ok")]
    assert json.loads(JsonFormatter().format(runs[0]))["slot"].endswith("T20:30:00")  # 03:30 in Hà Nội


def test_an_unknown_file_storage_stops_the_app_at_start(monkeypatch, tmp_path):
    from tracker import create_app

    monkeypatch.setenv("TRACKER_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.setenv("TRACKER_FILE_STORAGE", "s3")
    with pytest.raises(ConfigurationError, match="FILE_STORAGE"):
        create_app()


def test_a_missing_file_is_a_404_with_a_message(seeded, client, auth):
    from helpers import line_id, post_line
    from tracker.files.models import Attachment
    from tracker.files.storage import storage

    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    post_line(client, "II.1", lid, attachments=(io.BytesIO(b"%PDF-1.4 x"), "a.pdf"))
    with seeded.app_context():
        attachment = db.session.scalar(sa.select(Attachment))
        with storage().open(attachment.stored_name) as stream:
            assert stream.read() == b"%PDF-1.4 x"
        storage().delete(attachment.stored_name)
        attachment_id = attachment.id
    response = client.get(f"/attachments/{attachment_id}")
    assert response.status_code == 404 and "Tệp không còn trên máy chủ." in response.get_data(as_text=True)
