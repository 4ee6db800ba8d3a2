"""Reporting's operations without HTTP: who may submit, send back, open a round and set the policy, the
messages of a refusal per field, and what each changes."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from helpers import user_of
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.operations import Invalid, NotAllowed, perform
from tracker.reporting import operations as ops
from tracker.reporting.models import ReportingRound, Submission
from tracker.reporting.services import policy_of


def q1() -> ReportingRound:
    return db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))


def test_a_body_submits_with_files_once_and_again_after_a_return(seeded):
    with seeded.app_context():
        officer, office, round_ = user_of("khdt@test.vn"), user_of("vpdp@test.vn"), q1()
        for stranger in (office, user_of("lanhdao@test.vn")):
            with pytest.raises(NotAllowed):
                perform(ops.submit, stranger, round_, "Báo cáo", date(2021, 3, 16))
        with pytest.raises(Invalid) as empty:
            perform(ops.submit, officer, round_, "  ", date(2021, 3, 16))
        assert empty.value.errors == {"body": ["Nhập nội dung báo cáo."]}
        with pytest.raises(Invalid) as wrong_file:
            perform(ops.submit, officer, round_, "Báo cáo", date(2021, 3, 16),
                    [FileStorage(io.BytesIO(b"MZ"), filename="chay.exe")])
        assert list(wrong_file.value.errors) == ["attachments"]
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0

        pdf = FileStorage(io.BytesIO(b"%PDF-1.4 quy I"), filename="Báo cáo quý I.pdf")
        submission = perform(ops.submit, officer, round_, "Quý I: đã phân bổ vốn.", date(2021, 3, 16), [pdf])
        assert (submission.status, submission.submitted_on) == ("submitted", date(2021, 3, 16))
        assert db.session.scalar(sa.select(Attachment.original_name).where(
            Attachment.submission_id == submission.id)) == "Báo cáo quý I.pdf"
        with pytest.raises(Invalid) as twice:
            perform(ops.submit, officer, round_, "Lần hai", date(2021, 3, 17))
        assert "đã nộp báo cáo kỳ này" in twice.value.first("body")

        with pytest.raises(NotAllowed):
            perform(ops.send_back, officer, submission, "Tự trả lại")
        with pytest.raises(Invalid) as no_reason:
            perform(ops.send_back, office, submission, " ")
        assert no_reason.value.errors == {"reason": ["Trả lại cần nêu lý do."]}
        perform(ops.send_back, office, submission, "Thiếu số liệu huyện")
        assert (submission.status, submission.return_reason, submission.times_returned) == (
            "returned", "Thiếu số liệu huyện", 1)
        with pytest.raises(Invalid) as again:
            perform(ops.send_back, office, submission, "Lần nữa")
        assert again.value.errors == {"reason": ["Chỉ trả lại báo cáo đã nộp."]}

        perform(ops.submit, officer, round_, "Bổ sung số liệu huyện.", date(2021, 3, 22))
        db.session.expire_all()
        stored = db.session.get(Submission, submission.id)
        assert (stored.status, stored.body, stored.submitted_on) == ("submitted", "Bổ sung số liệu huyện.",
                                                                      date(2021, 3, 22))


def test_the_office_opens_an_adhoc_round(seeded):
    with seeded.app_context():
        office, plan = user_of("vpdp@test.vn"), q1().plan
        with pytest.raises(NotAllowed):
            perform(ops.open_round, user_of("khdt@test.vn"), plan, "Đột xuất", date(2021, 6, 30), "Sở Y tế",
                    date(2021, 5, 3))
        with pytest.raises(Invalid) as unknown:
            perform(ops.open_round, office, plan, "Đột xuất", date(2021, 6, 30), "Sở Không Có", date(2021, 5, 3))
        assert unknown.value.errors == {"bodies": ["Không nhận ra: Sở Không Có."]}
        with pytest.raises(Invalid) as past:
            perform(ops.open_round, office, plan, "Đột xuất", date(2021, 4, 1), "Sở Y tế", date(2021, 5, 3))
        assert past.value.errors == {"due_on": ["Hạn nộp không thể trước hôm nay."]}
        with pytest.raises(Invalid) as blank:
            perform(ops.open_round, office, plan, "", date(2021, 6, 30), "", date(2021, 5, 3))
        assert set(blank.value.errors) == {"title", "bodies"}
        assert db.session.scalar(sa.select(sa.func.count()).where(ReportingRound.kind == "adhoc")) == 0
        round_ = perform(ops.open_round, office, plan, "Báo cáo OCOP", date(2021, 5, 14),
                         "Sở NN&PTNT\nCác huyện biên giới", date(2021, 5, 3), "Theo yêu cầu")
        assert (round_.kind, round_.due_on, len(round_.bodies), round_.created_by_id) == (
            "adhoc", date(2021, 5, 14), 6, office.id)


def test_the_office_sets_the_policy_and_open_rounds_follow(seeded):
    with seeded.app_context():
        office, plan = user_of("vpdp@test.vn"), q1().plan
        with pytest.raises(NotAllowed):
            perform(ops.set_policy, user_of("lanhdao@test.vn"), plan, 10, 20, "department", date(2021, 4, 1))
        with pytest.raises(Invalid) as order:
            perform(ops.set_policy, office, plan, 25, 20, "department", date(2021, 4, 1))
        assert order.value.errors == {"cutoff_day": ["Ngày chốt số liệu phải trước hạn nộp."]}
        with pytest.raises(Invalid) as level:
            perform(ops.set_policy, office, plan, 10, 20, "planet", date(2021, 4, 1))
        assert level.value.errors == {"levels": ["Cấp không hợp lệ: planet."]}
        with pytest.raises(Invalid) as day:
            perform(ops.set_policy, office, plan, 0, 40, "department", date(2021, 4, 1))
        assert set(day.value.errors) == {"cutoff_day", "due_day"}
        perform(ops.set_policy, office, plan, 10, 20, "department", date(2021, 4, 1))
        db.session.expire_all()
        assert (policy_of(plan).cutoff_day, policy_of(plan).levels) == (10, "department")
        q2 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý II năm 2021"))
        assert (q2.cutoff_on, q2.due_on, len(q2.bodies)) == (date(2021, 6, 10), date(2021, 6, 20), 14)
        assert q1().due_on == date(2021, 3, 18)  # a round past its due date keeps its dates
