"""A backup taken while the app writes holds every committed update, uploads included; restore puts it back."""
import io
import os
import shutil
import sqlite3

import pytest

from databases import on_postgresql
from helpers import line_id, post_line

PDF = b"%PDF-1.4\n% test\n"


def _status(path, lid):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT status, progress FROM status_line WHERE id = ?", (lid,)).fetchone()


@pytest.mark.skipif(on_postgresql(), reason="SQLite's write-ahead log")
def test_backup_holds_what_is_still_in_the_write_ahead_log(seeded, client, auth, runner, tmp_path):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    response = post_line(client, "II.1", lid, status="in_progress", progress="40",
                         attachments=(io.BytesIO(PDF), "Tờ trình.pdf"))
    assert response.status_code == 302
    database = seeded.config["DATABASE_URL"].removeprefix("sqlite:///")
    # A plain copy of the file, taken while the app holds its connections, misses the update (in the WAL):
    shutil.copyfile(database, tmp_path / "naive.sqlite")
    assert _status(tmp_path / "naive.sqlite", lid) == ("not_started", 0)

    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert _status(tmp_path / "backup" / "tracker.sqlite", lid) == ("in_progress", 40)
    assert len(os.listdir(tmp_path / "backup" / "uploads")) == 1
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code != 0  # never over an old one

    # Later work, then the restore: the database and the files are as they were at the backup.
    assert post_line(client, "II.1", lid, version=2, status="paused", progress="40", paused_reason="Chờ vốn").status_code == 302
    for name in os.listdir(seeded.config["UPLOAD_FOLDER"]):
        os.unlink(os.path.join(seeded.config["UPLOAD_FOLDER"], name))
    result = runner.invoke(args=["restore", str(tmp_path / "backup"), "--yes"])
    assert result.exit_code == 0, result.output
    assert _status(database, lid) == ("in_progress", 40)
    assert len(os.listdir(seeded.config["UPLOAD_FOLDER"])) == 1
    assert "Tờ trình.pdf" in client.get("/tasks/II.1").get_data(as_text=True)


@pytest.mark.skipif(not on_postgresql(), reason="needs PostgreSQL")
def test_backup_and_restore_on_postgresql(seeded, client, auth, runner, tmp_path):
    """pg_dump while the app runs, later work, then pg_restore: the database and the files are as they were."""
    import sqlalchemy as sa

    from tracker.extensions import db

    def status(lid):
        with seeded.app_context():
            row = db.session.execute(sa.text("SELECT status, progress FROM status_line WHERE id = :id"), {"id": lid}).one()
            db.session.remove()
            return tuple(row)

    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    assert post_line(client, "II.1", lid, status="in_progress", progress="40",
                     attachments=(io.BytesIO(PDF), "Tờ trình.pdf")).status_code == 302
    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "backup" / "tracker.dump").stat().st_size > 0

    assert post_line(client, "II.1", lid, version=2, status="paused", progress="40", paused_reason="Chờ vốn").status_code == 302
    assert status(lid) == ("paused", 40)
    for name in os.listdir(seeded.config["UPLOAD_FOLDER"]):
        os.unlink(os.path.join(seeded.config["UPLOAD_FOLDER"], name))
    result = runner.invoke(args=["restore", str(tmp_path / "backup"), "--yes"])
    assert result.exit_code == 0, result.output
    assert status(lid) == ("in_progress", 40)
    assert len(os.listdir(seeded.config["UPLOAD_FOLDER"])) == 1
    assert "Tờ trình.pdf" in client.get("/tasks/II.1").get_data(as_text=True)
