"""Reporting rounds: quarterly from the plan's policy, ad hoc from the office; submit once, return, resubmit."""

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.reporting.models import ReportingRound, Submission


def rounds_of(app):
    with app.app_context():
        return {r.title: (r.id, str(r.cutoff_on), str(r.due_on), len(r.bodies)) for r in
                db.session.scalars(sa.select(ReportingRound).order_by(ReportingRound.due_on))}


def q1_id(app):
    return rounds_of(app)["Báo cáo quý I năm 2021"][0]


def test_seed_creates_the_four_quarterly_rounds(seeded):
    rounds = rounds_of(seeded)
    assert list(rounds) == [f"Báo cáo quý {q} năm 2021" for q in ("I", "II", "III", "IV")]
    assert rounds["Báo cáo quý I năm 2021"][1:] == ("2021-03-14", "2021-03-18", 25)  # 14 departments, 11 districts
    assert rounds["Báo cáo quý IV năm 2021"][1:3] == ("2021-12-14", "2021-12-18")


def test_office_changes_the_policy_and_rounds_follow(seeded, client, auth, travel):
    travel(2021, 4, 1)  # the second quarter's round is still to come
    auth.login("vpdp@test.vn")
    response = client.post("/rounds/policy", data={"cutoff_day": "10", "due_day": "20", "levels": "department"})
    assert response.status_code == 302
    assert rounds_of(seeded)["Báo cáo quý II năm 2021"][1:] == ("2021-06-10", "2021-06-20", 14)
    bad = client.post("/rounds/policy", data={"cutoff_day": "25", "due_day": "20", "levels": "department"})
    assert bad.status_code == 400 and "Ngày chốt số liệu phải trước hạn nộp." in bad.get_data(as_text=True)
    bad = client.post("/rounds/policy", data={"cutoff_day": "10", "due_day": "20", "levels": "planet"})
    assert bad.status_code == 400 and "Cấp không hợp lệ: planet." in bad.get_data(as_text=True)


def test_submit_once_return_and_resubmit(seeded, client, auth, travel):
    travel(2021, 3, 16)
    rid = q1_id(seeded)
    auth.login("khdt@test.vn")
    assert client.post(f"/rounds/{rid}/submit", data={"body": "Quý I: đã phân bổ 80% vốn."}).status_code == 302
    again = client.post(f"/rounds/{rid}/submit", data={"body": "Lần hai"})
    assert again.status_code == 400 and "đã nộp báo cáo kỳ này" in again.get_data(as_text=True)
    page = client.get(f"/rounds/{rid}").get_data(as_text=True)
    assert "Đã nộp đúng hạn" in page and "Nộp báo cáo của" not in page
    auth.logout()

    auth.login("vpdp@test.vn")
    with seeded.app_context():
        sid = db.session.scalar(sa.select(Submission.id))
    assert client.post(f"/rounds/{rid}/submissions/{sid}/return", data={f"s{sid}-reason": ""}).status_code == 400
    assert client.post(f"/rounds/{rid}/submissions/{sid}/return",
                       data={f"s{sid}-reason": "Thiếu số liệu huyện"}).status_code == 302
    auth.logout()

    travel(2021, 3, 22)
    auth.login("khdt@test.vn")
    page = client.get(f"/rounds/{rid}").get_data(as_text=True)
    assert "bị trả lại: Thiếu số liệu huyện" in page
    assert client.post(f"/rounds/{rid}/submit", data={"body": "Bổ sung số liệu huyện."}).status_code == 302
    with seeded.app_context():
        submission = db.session.get(Submission, sid)
        assert (submission.status, submission.times_returned, str(submission.submitted_on)) == ("submitted", 1, "2021-03-22")
    assert "Đã nộp muộn" in client.get(f"/rounds/{rid}").get_data(as_text=True)


def test_report_with_file(seeded, client, auth):
    import io

    auth.login("dinhlap@test.vn")
    rid = q1_id(seeded)
    data = {"body": "Báo cáo huyện Đình Lập", "attachments": (io.BytesIO(b"%PDF-1.4 x"), "Báo cáo Đình Lập.pdf")}
    assert client.post(f"/rounds/{rid}/submit", data=data, content_type="multipart/form-data").status_code == 302
    page = client.get(f"/rounds/{rid}").get_data(as_text=True)
    assert "Báo cáo Đình Lập.pdf" in page


@pytest.mark.parametrize(("email", "status"), [("lanhdao@test.vn", 403), ("vpdp@test.vn", 403)])
def test_only_a_body_that_owes_may_submit(seeded, client, auth, email, status):
    auth.login(email)
    assert client.post(f"/rounds/{q1_id(seeded)}/submit", data={"body": "x"}).status_code == status
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_office_opens_an_adhoc_round_for_a_group(seeded, client, auth, travel):
    travel(2021, 5, 3)
    auth.login("vpdp@test.vn")
    response = client.post("/rounds/new", data={"title": "Báo cáo đột xuất về mô hình OCOP", "due_on": "2021-05-14",
                                                "bodies": "Sở NN&PTNT\nCác huyện biên giới", "note": "Theo yêu cầu"})
    assert response.status_code == 302
    with seeded.app_context():
        adhoc = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.kind == "adhoc"))
        assert len(adhoc.bodies) == 6 and "UBND huyện Đình Lập" in {b.name for b in adhoc.bodies}
    for data, message in [({"bodies": "Sở Không Có"}, "Không nhận ra: Sở Không Có."),
                          ({"due_on": "2021-04-01"}, "Hạn nộp không thể trước hôm nay."),
                          ({"bodies": "Các Sở, ngành liên quan"}, "Chọn ít nhất một cơ quan")]:
        form = {"title": "X", "due_on": "2021-05-14", "bodies": "Sở Y tế", **data}
        bad = client.post("/rounds/new", data=form)
        assert bad.status_code == 400 and message in bad.get_data(as_text=True)


def test_rounds_page_and_api(seeded, client, auth, travel):
    travel(2021, 3, 20)
    auth.login("khdt@test.vn")
    page = client.get("/rounds").get_data(as_text=True)
    assert "Báo cáo quý I năm 2021" in page and "25 quá hạn" in page
    data = client.get("/api/v1/rounds").get_json()
    q1 = data["items"][0]
    assert q1["title"] == "Báo cáo quý I năm 2021" and q1["due_on"] == "2021-03-18"
    states = {b["agency"]: b["state"] for b in q1["bodies"]}
    assert states["Sở Kế hoạch và Đầu tư"] == "overdue" and len(states) == 25
