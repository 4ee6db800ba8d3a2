"""Reminder pages and API: what goes out on a date, the outbox, the office's settings, users' choices."""
from datetime import date

import sqlalchemy as sa

from test_reminders import configure, sweep_only
from tracker.extensions import db
from tracker.reminders.models import ReminderOptOut, ReminderSettings


def test_api_lists_what_the_sweep_recorded(seeded, client, auth):
    configure(seeded)
    auth.login("vpdp@test.vn")
    # The API reads the ledger, never the planner: before the sweep nothing is recorded for the day,
    # while the page still tells what a sweep would send.
    assert client.get("/api/v1/reminders?as_of=2021-03-24").get_json()["total"] == 0
    assert "II.1 Phân bổ kế hoạch vốn" in client.get("/reminders?as_of=2021-03-24").get_data(as_text=True)
    sweep_only(seeded, date(2021, 3, 24))
    after = client.get("/api/v1/reminders?as_of=2021-03-24").get_json()
    assert after["total"] == 9
    first = next(d for d in after["items"] if d["recipient"] == "khdt@test.vn" and d["rule"] == "task_due_soon")
    assert first["send_on"] == "2021-03-24" and first["occurrence"] == "2021-03-31-7d"
    assert first["summary"].startswith("II.1 Phân bổ kế hoạch vốn")
    assert {s["message"]["status"] for s in after["items"]} == {"pending"}
    assert client.get("/api/v1/reminders?as_of=24-03-2021").status_code == 400


def test_officer_sees_only_own_reminders(seeded, client, auth):
    configure(seeded)
    sweep_only(seeded, date(2021, 3, 24))
    auth.login("khdt@test.vn")
    data = client.get("/api/v1/reminders?as_of=2021-03-24").get_json()
    assert data["total"] and {d["recipient"] for d in data["items"]} == {"khdt@test.vn"}
    page = client.get("/reminders?as_of=2021-03-24").get_data(as_text=True)
    assert "II.1 Phân bổ kế hoạch vốn" in page
    # No mail server: the officer is told whom to tell, in words, never a setting's name.
    assert "chưa được cài đặt để gửi thư điện tử; hãy báo Văn phòng Điều phối" in page and "TRACKER_" not in page


def test_outbox_is_for_the_office(seeded, client, auth):
    configure(seeded)
    sweep_only(seeded, date(2021, 3, 24))
    auth.login("khdt@test.vn")
    assert client.get("/outbox").status_code == 403
    auth.logout()
    auth.login("vpdp@test.vn")
    page = client.get("/outbox").get_data(as_text=True)
    assert "chưa được cài đặt để gửi thư điện tử" in page and "khdt@test.vn" in page and "Chờ gửi" in page
    assert "TRACKER_" not in page


def test_settings_validate_and_save(seeded, client, auth):
    auth.login("vpdp@test.vn")
    bad = client.post("/reminders/settings", data={"before_days": "7,x", "digest_weekday": "0", "nudge_days": "30",
                                                   "catch_up_days": "14", "holidays": "01-01\nTết"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "ví dụ 7,3,1" in body and "Không hiểu các dòng: Tết" in body
    ok = client.post("/reminders/settings", data={"before_days": "1, 10,5", "digest_weekday": "4", "nudge_days": "15",
                                                  "catch_up_days": "7", "holidays": "01-01\n2021-02-12",
                                                  "overdue_notice": "y"})
    assert ok.status_code == 302
    with seeded.app_context():
        settings = db.session.get(ReminderSettings, 1)
        assert (settings.before_days, settings.digest_weekday, settings.nudge_days) == ("10,5,1", 4, 15)
    auth.logout()
    auth.login("khdt@test.vn")
    assert client.post("/reminders/settings", data={"before_days": "1"}).status_code == 403


def test_preferences_and_the_office_digest_that_stays_on(seeded, client, auth):
    auth.login("vpdp@test.vn")
    assert client.post("/profile/reminders", data={"nudge": "y"}).status_code == 302
    with seeded.app_context():
        opted = set(db.session.scalars(sa.select(ReminderOptOut.rule)))
    assert "overdue_digest" not in opted and "task_overdue" not in opted
    assert "task_due_soon" in opted and "nudge" not in opted
    page = client.get("/profile/reminders").get_data(as_text=True)
    assert "Văn phòng Điều phối luôn nhận" in page


def test_a_holiday_list_that_leaves_no_working_day_is_refused(seeded, client, auth):
    auth.login("vpdp@test.vn")
    every_day = "\n".join(f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29))
    every_day += "\n" + "\n".join(f"{m:02d}-{d:02d}" for m in range(1, 13) for d in (29, 30, 31)
                                   if not (m == 2 and d > 29) and not (m in (4, 6, 9, 11) and d == 31))
    response = client.post("/reminders/settings", data={"before_days": "7,3,1", "digest_weekday": "0",
                                                       "nudge_days": "30", "catch_up_days": "14",
                                                       "holidays": every_day})
    assert response.status_code == 400
    assert "không để lại ngày làm việc nào" in response.get_data(as_text=True)
