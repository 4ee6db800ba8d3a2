"""Attachments: names made safe to show, files in place only once their record is committed, orphans swept."""
import io
import os
import time

import sqlalchemy as sa

from helpers import line_id, post_line
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.files.services import MAX_NAME, clean_name

PDF = b"%PDF-1.4\n% test\n"


def test_names_lose_control_and_bidi_characters_and_stay_short():
    assert clean_name("C:\\Users\\a\\Tờ trình.pdf") == "Tờ trình.pdf"
    assert clean_name("bao-cao\u202efdp.exe") == "bao-caofdp.exe"  # a right-to-left override disguised it
    assert clean_name("a\x00b\x1f.pdf") == "ab.pdf"
    long = clean_name("Đ" * 5000 + ".docx")
    assert len(long) == MAX_NAME and long.endswith(".docx")


def _upload(client, seeded, version=1, name="Tờ trình.pdf"):
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    return lid, post_line(client, "II.1", lid, version=version, **{"attachments": (io.BytesIO(PDF), name)})


def test_a_file_takes_its_name_when_the_update_commits(seeded, client, auth):
    auth.login("khdt@test.vn")
    _, response = _upload(client, seeded, name="bao-cao\u202efdp.pdf")
    assert response.status_code == 302
    folder = seeded.config["UPLOAD_FOLDER"]
    with seeded.app_context():
        attachment = db.session.scalar(sa.select(Attachment))
        assert attachment.original_name == "bao-caofdp.pdf"
        assert os.listdir(folder) == [attachment.stored_name]  # no .part left behind


def test_a_refused_update_leaves_no_file(seeded, client, auth):
    auth.login("khdt@test.vn")
    _upload(client, seeded)
    # The second save carries a stale version: the update is refused and its file must go with it.
    _, response = _upload(client, seeded, version=1)
    assert response.status_code == 409
    with seeded.app_context():
        names = set(db.session.scalars(sa.select(Attachment.stored_name)))
    assert set(os.listdir(seeded.config["UPLOAD_FOLDER"])) == names and len(names) == 1


def test_the_sweep_deletes_only_old_files_no_attachment_names(seeded, client, auth, runner):
    auth.login("khdt@test.vn")
    _upload(client, seeded)
    folder = seeded.config["UPLOAD_FOLDER"]
    old = os.path.join(folder, "0123abcd.part")
    fresh = os.path.join(folder, "fresh.part")
    for path in (old, fresh):
        with open(path, "wb") as handle:
            handle.write(b"left by a killed worker")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    result = runner.invoke(args=["files", "sweep"])
    assert result.exit_code == 0 and "0123abcd.part" in result.output
    with seeded.app_context():
        kept = set(db.session.scalars(sa.select(Attachment.stored_name))) | {"fresh.part"}
    assert set(os.listdir(folder)) == kept


def test_a_rolled_back_transaction_deletes_the_file_it_wrote(seeded):
    from helpers import task_of, user_of
    from werkzeug.datastructures import FileStorage

    from tracker.files.services import check_upload, store_uploads

    with seeded.app_context():
        store_uploads([check_upload(FileStorage(io.BytesIO(PDF), "Tờ trình.pdf"))], user_of("khdt@test.vn"),
                      task=task_of("II.1"))
        assert [name.endswith(".part") for name in os.listdir(seeded.config["UPLOAD_FOLDER"])] == [True]
        db.session.rollback()  # e.g. the database refused the commit
        assert os.listdir(seeded.config["UPLOAD_FOLDER"]) == []
