"""The plan's numbers: seeded as the plan states them, counted from the communes, entered each quarter
under the indicator's rules, and shown on the pages, the API, the quarterly report and the reminders."""
from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from docx import Document

from test_reminders import configure, sweep_only
from test_targets import TYPED
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.indicators import counts, figures
from tracker.indicators.models import Commune, CommuneCriterion, Indicator, IndicatorEntry
from tracker.plan.models import Agency
from tracker.progress.listing import directory
from tracker.reminders.models import SentReminder
from tracker.reporting.models import ReportingRound
from tracker.reporting.services import submit_report

PDF = b"%PDF-1.4\n%minh chung\n"


def indicator(app, key: str, year: int = 2021) -> Indicator:
    """An indicator of the year's plan by key (within an app context)."""
    return db.session.scalar(sa.select(Indicator).join(Indicator.plan).where(Indicator.key == key)
                             .where(sa.text(f"plan.year = {year}")))


def indicator_id(app, key: str) -> int:
    with app.app_context():
        return indicator(app, key).id


def entries(app, key: str) -> list[tuple[int, float, str]]:
    with app.app_context():
        return [(e.quarter, e.value, e.note) for e in db.session.scalars(
            sa.select(IndicatorEntry).where(IndicatorEntry.indicator_id == indicator(app, key).id)
            .order_by(IndicatorEntry.id))]


# --- the seeds ------------------------------------------------------------------------------------

def test_the_seeded_indicators_are_the_plans_figures(seeded):
    with seeded.app_context():
        for number, (added, target, percent) in TYPED.items():
            tc = indicator(seeded, f"tc{number:02d}")
            assert (tc.added, tc.target, tc.stated_percent, tc.of_total) == (added, target, percent, 181), number
            assert tc.measure == "criterion" and tc.criterion == number
        ntm = indicator(seeded, "ntm_communes")
        assert (ntm.added, ntm.target, ntm.of_total, ntm.measure) == (10, 75, 181, "standard")
        average = indicator(seeded, "average_criteria")
        assert (average.target, average.target_high) == (13.5, 14)
        assert indicator(seeded, "advanced_communes").target == 5
        areas = indicator(seeded, "model_residential_areas")
        assert (areas.target, areas.target_high, areas.per_district, areas.unit) == (2, 3, True, "khu dân cư")
        assert (indicator(seeded, "model_gardens").target, indicator(seeded, "model_gardens").bound) == (1, "at_least")
        villages = indicator(seeded, "border_villages")
        assert (villages.added, villages.target, villages.of_total) == (35, 110, 156)
        border = indicator(seeded, "border_communes_criteria")
        assert (border.target, border.target_high, border.measure) == (14, 14.5, "border_average")
        assert [(indicator(seeded, k).target, indicator(seeded, k).target_high) for k in ("ocop", "ocop.3", "ocop.4")] \
            == [(15, None), (5, 10), (2, 3)]
        assert [(indicator(seeded, f"band.{b}").target, indicator(seeded, f"band.{b}").stated_percent)
                for b in ("19", "15-18", "10-14", "5-9")] == [(75, 41.4), (1, 0.5), (70, 38.7), (35, 19.3)]
        roads = indicator(seeded, "tc02.1")
        assert (roads.target, roads.unit, roads.bound, roads.parent.key) == (350, "km", "more_than", "tc02")
        assert roads.target_text == "trên 350 km"
        assert indicator(seeded, "tc03.3").target_text == "35.500 ha"
        assert indicator(seeded, "tc08.3").target_text == "157/181 xã (87%)"
        funding = [(indicator(seeded, f"funding.{k}").target, indicator(seeded, f"funding.{k}").stated_percent)
                   for k in ("direct", "integrated", "enterprises", "credit", "community")]
        assert funding == [(643, 13.5), (580, 12.2), (70, 1.47), (3200, 67.3), (273, 5.7)]
        assert indicator(seeded, "funding.total").target == 4756


def test_each_indicator_has_its_department_and_the_tasks_that_serve_it(seeded):
    with seeded.app_context():
        plan_indicators = db.session.scalars(sa.select(Indicator).join(Indicator.plan)
                                             .where(sa.text("plan.year = 2021"))).all()
        assert len(plan_indicators) == 57
        assert all(i.responsible is not None for i in plan_indicators)
        assert indicator(seeded, "tc02").responsible.name == "Sở Giao thông vận tải"
        assert indicator(seeded, "tc18.1").responsible.name == "Sở Nội vụ"
        assert [t.code for t in indicator(seeded, "tc02").tasks] == ["VI.1"]
        assert [t.code for t in indicator(seeded, "border_villages").tasks] == ["VIII.3"]
        assert all(i.tasks for i in plan_indicators)


def test_seeding_again_keeps_the_body_the_office_chose(seeded, runner):
    with seeded.app_context():
        indicator(seeded, "tc02").responsible = db.session.scalar(sa.select(Agency).where(Agency.name == "Sở Xây dựng"))
        db.session.commit()
    assert runner.invoke(args=["seed"]).exit_code == 0
    with seeded.app_context():
        assert indicator(seeded, "tc02").responsible.name == "Sở Xây dựng"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Indicator)) == 57


# --- the communes ---------------------------------------------------------------------------------

def test_the_sample_reproduces_the_plans_counts(seeded):
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commune)) == 181
        names = db.session.scalars(sa.select(Commune.name)).all()
        assert all(name.startswith("Xã mẫu ") for name in names) and counts.has_sample()
        start = counts.standing(date(2020, 12, 31))
        # The end of 2020, as the plan implies it: each criterion's 2021 total less the communes it adds.
        assert start.per_criterion == {k: target - (added or 0) for k, (added, target, _) in TYPED.items()}
        assert start.standard == 75 - 10
        end = counts.standing(date(2021, 12, 31))
        assert end.per_criterion == {k: target for k, (_, target, _) in TYPED.items()}
        # The plan's distribution at the end of 2021: 75 / 1 / 70 / 35 of 181.
        assert end.bands == {"19": 75, "15-18": 1, "10-14": 70, "5-9": 35, "0-4": 0}
        assert end.standard == 75 and 13.5 <= end.average <= 14
        assert end.border_communes == 20
        by_district = counts.districts_on(date(2021, 12, 31))
        assert len(by_district) == 11 and sum(row.communes for row in by_district) == 181
        assert sum(row.standard for row in by_district) == 75
        assert all(sum(row.per_criterion[k] for row in by_district) == end.per_criterion[k] for k in counts.CRITERIA)


def test_before_the_first_record_nothing_is_known_rather_than_zero(seeded, client, auth):
    with seeded.app_context():
        before = counts.standing(date(2020, 9, 30))
        assert not before.recorded and figures.computed_value(indicator(seeded, "tc02"), before) is None
        assert counts.standing(date(2020, 12, 31)).recorded
    auth.login("lanhdao@test.vn")
    page = client.get("/indicators?year=2021&quarter=1").get_data(as_text=True)
    trend = page[page.index('id="h-trend"'):page.index('id="h-closest"')]
    assert "<th>II/2019</th>" in trend and "<td>—</td>" in trend and "<td>78</td>" in trend


def test_closest_communes_are_those_one_or_two_criteria_short(seeded):
    with seeded.app_context():
        day = date(2021, 6, 30)
        near = counts.closest_communes(day)
        assert near and all(len(n.missing) == 19 - n.met and n.met in (17, 18) for n in near)
        for n in near[:5]:
            assert counts.criteria_of(n.commune.id, day) == set(counts.CRITERIA) - set(n.missing)
        assert [n.met for n in near] == sorted((n.met for n in near), reverse=True)


def commune_of(app, district: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Commune.id).join(Commune.district).where(Agency.name == district)
                                 .order_by(Commune.name))


def test_a_district_records_its_communes_criteria_and_the_counts_follow(seeded, client, auth, travel):
    travel(2021, 5, 10)
    commune = commune_of(seeded, "UBND huyện Đình Lập")
    with seeded.app_context():
        met_before = counts.criteria_of(commune, date(2021, 5, 10))
        counts_before = counts.criterion_counts(date(2021, 6, 30))
    missing = sorted(set(counts.CRITERIA) - met_before)
    assert missing, "the test needs a commune that lacks a criterion"
    auth.login("dinhlap@test.vn")
    met = sorted(met_before | {missing[0]})
    response = client.post(f"/indicators/communes/{commune}", data={
        "since": "2021-05-08", "met": [str(k) for k in met], "note": "Quyết định công nhận số 12/QĐ-UBND"})
    assert response.status_code == 302
    with seeded.app_context():
        assert counts.criteria_of(commune, date(2021, 5, 10)) == set(met)
        assert counts.criteria_of(commune, date(2021, 5, 7)) == met_before  # the day before stays as it was
        after = counts.criterion_counts(date(2021, 6, 30))
        assert after[missing[0]] == counts_before[missing[0]] + 1
        assert {k: v for k, v in after.items() if k != missing[0]} == {k: v for k, v in counts_before.items()
                                                                      if k != missing[0]}
        row = db.session.scalar(sa.select(CommuneCriterion).order_by(CommuneCriterion.id.desc()))
        assert (row.criterion, row.met, row.note, row.entered_by.email) == (missing[0], True,
                                                                            "Quyết định công nhận số 12/QĐ-UBND",
                                                                            "dinhlap@test.vn")
    page = client.get(f"/indicators/communes/{commune}").get_data(as_text=True)
    assert "Quyết định công nhận số 12/QĐ-UBND" in page
    # A date still to come, or another district's commune: refused, nothing written.
    future = client.post(f"/indicators/communes/{commune}", data={"since": "2021-06-01", "met": ["1"]})
    assert future.status_code == 400 and "Không ghi nhận trước cho ngày chưa đến." in future.get_data(as_text=True)
    other = commune_of(seeded, "UBND huyện Văn Quan")
    assert client.post(f"/indicators/communes/{other}", data={"since": "2021-05-08", "met": ["1"]}).status_code == 403
    bad = client.post(f"/indicators/communes/{commune}", data={"since": "2021-05-08", "met": ["20"]})
    assert bad.status_code == 400
    with seeded.app_context():
        assert counts.criteria_of(commune, date(2021, 5, 10)) == set(met)


# --- quarterly figures ---------------------------------------------------------------------------

def post_figure(client, app, key, quarter="1", value="100", note="", **extra):
    return client.post(f"/indicators/{indicator_id(app, key)}", data={"quarter": quarter, "value": value, "note": note,
                                                                      **extra}, content_type="multipart/form-data")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("tc18.1", "-5", "Số liệu không được âm."),
    ("tc18.1", "12,5", "Số lượt phải là số nguyên."),
    ("tc18.1", "nhiều", "«nhiều» không phải là số; ví dụ 35.500 hoặc 90,6."),
    ("tc18.1", "", "Nhập số liệu."),
])
def test_figures_that_break_the_rules_are_refused_in_vietnamese(seeded, client, auth, travel, key, value, message):
    travel(2021, 4, 10)
    auth.login("noivu@test.vn")
    response = post_figure(client, seeded, key, value=value)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert entries(seeded, key) == []


def test_the_office_is_held_to_the_same_rules(seeded, client, auth, travel):
    travel(2021, 7, 5)
    auth.login("vpdp@test.vn")
    villages = post_figure(client, seeded, "border_villages", quarter="2", value="157")
    assert villages.status_code == 400 and "Không thể nhiều hơn 156 thôn hiện có." in villages.get_data(as_text=True)
    share = post_figure(client, seeded, "tc02.2", quarter="2", value="100,5")
    assert share.status_code == 400 and "Tỷ lệ không thể vượt quá 100%." in share.get_data(as_text=True)
    later = post_figure(client, seeded, "tc02.2", quarter="4", value="40")
    assert later.status_code == 400 and "Quý 4/2021 chưa bắt đầu." in later.get_data(as_text=True)
    counted = post_figure(client, seeded, "tc02", quarter="2", value="90")
    assert counted.status_code == 400 and "được tính từ tiêu chí của các xã" in counted.get_data(as_text=True)
    assert entries(seeded, "border_villages") == entries(seeded, "tc02.2") == entries(seeded, "tc02") == []
    assert post_figure(client, seeded, "border_villages", quarter="2", value="110").status_code == 302
    with seeded.app_context():
        row = next(r for r in figures.quarter_figures(indicator(seeded, "border_villages").plan, 2021, 2).rows
                   if r.indicator.key == "border_villages")
        assert (row.actual, round(row.share, 1), row.progress) == (110, 70.5, 100)


def test_the_responsible_body_enters_a_figure_with_evidence_and_history_is_kept(seeded, client, auth, travel):
    travel(2021, 4, 12)
    auth.login("noivu@test.vn")
    first = post_figure(client, seeded, "tc18.1", value="1.200", note="Theo báo cáo của các huyện",
                        attachments=[(io.BytesIO(PDF), "danh-sach-boi-duong.pdf")])
    assert first.status_code == 302
    second = post_figure(client, seeded, "tc18.1", value="1.250", note="Bổ sung Đình Lập")
    assert second.status_code == 302
    assert entries(seeded, "tc18.1") == [(1, 1200, "Theo báo cáo của các huyện"), (1, 1250, "Bổ sung Đình Lập")]
    page = client.get(f"/indicators/{indicator_id(seeded, 'tc18.1')}?year=2021&quarter=1").get_data(as_text=True)
    assert "1.250" in page and "1.200" in page and "danh-sach-boi-duong.pdf" in page
    with seeded.app_context():
        attachment = db.session.scalar(sa.select(Attachment).where(Attachment.entry_id.is_not(None)))
        assert attachment.original_name == "danh-sach-boi-duong.pdf"
        row = next(r for r in figures.quarter_figures(indicator(seeded, "tc18.1").plan, 2021, 1).rows
                   if r.indicator.key == "tc18.1")
        assert (row.actual, row.progress) == (1250, 50)
    with client.get(f"/attachments/{attachment.id}") as download:
        assert download.data == PDF
    # Another department may read it, not enter it.
    auth.logout()
    auth.login("khdt@test.vn")
    assert post_figure(client, seeded, "tc18.1", value="3000").status_code == 403
    assert len(entries(seeded, "tc18.1")) == 2


def test_the_office_gives_an_indicator_to_another_body(seeded, client, auth):
    auth.login("vpdp@test.vn")
    with seeded.app_context():
        noivu = db.session.scalar(sa.select(Agency.id).where(Agency.name == "Sở Nội vụ"))
    target = f"/indicators/{indicator_id(seeded, 'advanced_communes')}/responsible"
    assert client.post(target, data={"agency": str(noivu)}).status_code == 302
    with seeded.app_context():
        assert indicator(seeded, "advanced_communes").responsible_id == noivu
        short = directory()[noivu].short_name
    # The overview names the new body in the indicator's row at once.
    page = client.get("/indicators?year=2021&quarter=4").get_data(as_text=True)
    row = re.search(rf'<a href="/indicators/{indicator_id(seeded, "advanced_communes")}\?.*?</tr>', page, re.S)
    assert row and f"<td data-label=\"Cơ quan báo cáo\">{short}</td>" in row.group(0)
    assert client.post(target, data={"agency": "999999"}).status_code == 400
    auth.logout()
    auth.login("noivu@test.vn")
    assert client.post(target, data={"agency": ""}).status_code == 403


# --- the views, the API and the report ------------------------------------------------------------

def test_the_indicator_page_shows_target_actual_last_quarter_and_progress(seeded, client, auth):
    auth.login("lanhdao@test.vn")
    page = client.get("/indicators?year=2021&quarter=4").get_data(as_text=True)
    assert "Tiêu chí số 2: Giao thông" in page and "96/181 xã (53%)" in page
    assert '<strong>75</strong> <span class="muted">(41,4%)</span>' in page  # the standard at the year's end, 75 of 181
    assert '<meter min="0" max="100"' in page
    assert "Các xã gần đạt chuẩn" in page and "dữ liệu mẫu" in page
    districts = client.get("/indicators/districts?year=2021&quarter=4").get_data(as_text=True)
    assert "Đình Lập" in districts and "TC19" in districts
    close = client.get("/indicators/communes?year=2021&quarter=2&close=1").get_data(as_text=True)
    assert "còn thiếu" in close.lower() or "tiêu chí" in close
    assert client.get("/indicators?year=2021&quarter=5").status_code == 400


def test_the_api_gives_the_quarters_numbers(seeded, client, auth):
    auth.login("lanhdao@test.vn")
    body = client.get("/api/v1/indicators?year=2021&quarter=4").get_json()
    assert (body["plan"], body["quarter"], body["as_of"]) == (2021, 4, "2021-12-31")
    assert body["communes"]["by_criteria_met"] == {"19": 75, "15-18": 1, "10-14": 70, "5-9": 35, "0-4": 0}
    assert body["communes"]["per_criterion"]["2"] == 96 and body["sample_communes"] is True
    tc02 = next(i for i in body["indicators"] if i["key"] == "tc02")
    assert (tc02["target"], tc02["actual"], tc02["stated_percent"], tc02["progress_percent"]) == (96, 96, 53, 100)
    assert tc02["responsible"]["name"] == "Sở Giao thông vận tải" and tc02["tasks"] == ["VI.1"]
    funding = next(i for i in body["indicators"] if i["key"] == "funding.total")
    assert (funding["target"], funding["actual"], funding["missing"]) == (4756, None, False)
    assert len(body["districts"]) == 11 and sum(d["communes"] for d in body["districts"]) == 181
    assert client.get("/api/v1/indicators?year=2021&quarter=0").status_code == 400


def test_the_quarterly_report_carries_the_indicator_tables(seeded, reader):
    with reader.get("/reports/quarterly.xlsx?year=2021&quarter=4") as response:
        book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Chỉ tiêu"]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    with seeded.app_context():
        names = {key: indicator(seeded, key).name for key in ("tc02", "ntm_communes", "funding.credit", "tc18.1")}
    assert names["tc02"] == "Tiêu chí số 2: Giao thông" and rows[names["tc02"]][2] == "96/181 xã (53%)"
    assert rows[names["tc02"]][3] == 96 and rows[names["tc02"]][7] == "Sở Giao thông vận tải"
    assert rows[names["ntm_communes"]][3] == 75 and rows[names["funding.credit"]][2] == "3.200 tỷ đồng (67,3%)"
    assert rows[names["tc18.1"]][8] == "chưa nhập"
    numbers = [row[0] for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] and row[1]]
    assert all(number.isdigit() for number in numbers), "the TT column numbers rows, never shows a key"
    districts = book["Chỉ tiêu theo huyện"]
    total = next(row for row in districts.iter_rows(values_only=True) if row[0] == "Toàn tỉnh")
    assert total[1:3] == (181, 75)
    with reader.get("/reports/quarterly.docx?year=2021&quarter=4") as response:
        document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "V. Kết quả thực hiện các chỉ tiêu" in text
    assert "toàn tỉnh có 75/181 xã đạt chuẩn nông thôn mới" in text
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Tiêu chí số 2: Giao thông" in cells and "96/181 xã (53%)" in cells


def test_the_dashboard_shows_the_communes_against_the_targets(seeded, reader):
    page = reader.get("/dashboard?year=2021&as_of=2021-12-31").get_data(as_text=True)
    assert "Chỉ tiêu của kế hoạch" in page and "<strong>75/181</strong>" in page


# --- rounds and reminders -------------------------------------------------------------------------

def test_the_round_asks_for_the_quarters_figures_and_reminders_cover_them(seeded, client, auth, travel):
    configure(seeded, figures=True)
    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        round_id = q1.id
        noivu = db.session.scalar(sa.select(Agency).where(Agency.name == "Sở Nội vụ"))
        from helpers import user_of
        submit_report(q1, noivu, user_of("noivu@test.vn"), "Báo cáo quý I", date(2021, 3, 10))
        db.session.commit()
    travel(2021, 3, 11)
    auth.login("noivu@test.vn")
    page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "còn 1 chỉ tiêu chưa nhập số liệu quý này" in page and "Bồi dưỡng cho 2.500 lượt" in page
    sweep_only(seeded, date(2021, 3, 11))
    with seeded.app_context():
        mine = db.session.scalars(sa.select(SentReminder).join(SentReminder.recipient)
                                  .where(sa.text("\"user\".email = 'noivu@test.vn'"))).all()
        assert [(r.rule, r.summary) for r in mine] == [
            ("round_due_soon", "Báo cáo quý I năm 2021: hạn nộp số liệu 1 chỉ tiêu 18/03/2021 (còn 7 ngày)")]
    # Once entered, nothing is owed: the next reminder day sends Sở Nội vụ nothing.
    assert post_figure(client, seeded, "tc18.1", value="800").status_code == 302
    assert "chưa nhập số liệu quý này" not in client.get(f"/rounds/{round_id}").get_data(as_text=True)
    sweep_only(seeded, date(2021, 3, 15))
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentReminder).join(SentReminder.recipient)
                                 .where(sa.text("\"user\".email = 'noivu@test.vn'"))) == 1


# --- the import ----------------------------------------------------------------------------------

HEADER = ["Huyện", "Xã", "Biên giới", "Ngày", *[f"TC{k}" for k in range(1, 20)], "Ghi chú"]


def communes_file(tmp_path, rows, name="xa.csv"):
    path = tmp_path / name
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        book.active.append(HEADER)
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        path.write_text("\n".join(",".join(map(str, r)) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(district, commune, day, met, border=""):
    return [district, commune, border, day, *["x" if k in met else "" for k in range(1, 20)], ""]


def test_a_bad_file_is_refused_whole_with_every_problem_named(seeded, runner, tmp_path):
    path = communes_file(tmp_path, [
        row("Đình Lập", "Xã Bắc Xa", "31/12/2020", range(1, 15)),
        row("Huyện Không Có", "Xã A", "31/12/2020", range(1, 3)),
        row("Đình Lập", "Xã Bính Xá", "31/02/2021", range(1, 3)),
        ["Đình Lập", "Xã Kiên Mộc", "", "31/12/2020", "có lẽ", *[""] * 18, ""],
    ])
    result = runner.invoke(args=["communes", "import", str(path)])
    assert result.exit_code != 0
    assert "Dòng 3: huyện «Huyện Không Có» không có trong danh sách cơ quan." in result.output
    assert "Dòng 4: ngày «31/02/2021» không hợp lệ" in result.output
    assert "Dòng 5: TC1: «có lẽ»" in result.output
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commune)) == 181  # the sample, untouched


@pytest.mark.parametrize("name", ["xa.csv", "xa.xlsx"])
def test_a_real_list_replaces_the_sample_and_importing_it_again_changes_nothing(seeded, runner, tmp_path, name):
    path = communes_file(tmp_path, [
        row("Đình Lập", "Xã Bắc Xa", "31/12/2020", range(1, 15), "x"),
        row("Đình Lập", "Xã Bắc Xa", "30/06/2021", range(1, 17), "x"),
        row("Văn Quan", "Xã Tràng Các", "31/12/2020", range(1, 20)),
    ], name)
    result = runner.invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 xã (2 xã mới), 35 thay đổi tiêu chí; đã bỏ 181 xã mẫu." in result.output
    with seeded.app_context():
        assert not counts.has_sample()
        assert counts.standing(date(2021, 3, 31)).bands["10-14"] == 1
        assert counts.standing(date(2021, 6, 30)).bands["15-18"] == 1
        assert counts.standing(date(2021, 6, 30)).border_average == 16
    again = runner.invoke(args=["communes", "import", str(path)])
    assert "2 xã (0 xã mới), 0 thay đổi tiêu chí." in again.output


def test_the_office_imports_through_the_page(seeded, client, auth, tmp_path):
    path = communes_file(tmp_path, [row("Chi Lăng", "Xã Vân An", "15/01/2021", range(1, 19))])
    auth.login("vpdp@test.vn")
    response = client.post("/indicators/communes/import", data={"file": (open(path, "rb"), "xa.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Đã nhập 1 xã (1 xã mới), 18 thay đổi tiêu chí." in response.get_data(as_text=True)
    auth.logout()
    auth.login("khdt@test.vn")
    assert client.post("/indicators/communes/import", data={"file": (open(path, "rb"), "xa.csv")},
                       content_type="multipart/form-data").status_code == 403


def test_a_bad_file_on_the_page_comes_back_with_each_line_named_and_nothing_taken(seeded, client, auth, tmp_path):
    path = communes_file(tmp_path, [row("Huyện Không Có", "Xã A", "31/12/2020", range(1, 3))])
    auth.login("vpdp@test.vn")
    response = client.post("/indicators/communes/import", data={"file": (open(path, "rb"), "xa.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dòng 2: huyện «Huyện Không Có» không có trong danh sách cơ quan." in page and 'class="field-error"' in page
    none = client.post("/indicators/communes/import", data={}, content_type="multipart/form-data")
    assert none.status_code == 400 and "Chọn tệp CSV hoặc XLSX." in none.get_data(as_text=True)
    with seeded.app_context():
        assert counts.has_sample() and db.session.scalar(sa.select(sa.func.count()).select_from(Commune)) == 181


def test_a_change_recorded_between_two_others_holds_only_until_the_next(seeded):
    from helpers import user_of
    from tracker.indicators.services import set_criteria

    with seeded.app_context():
        commune = db.session.get(Commune, commune_of(seeded, "UBND huyện Đình Lập"))
        office = user_of("vpdp@test.vn")
        k = min(set(counts.CRITERIA) - counts.criteria_of(commune.id, date(2021, 12, 31)))

        def record(month: int, day: int, meets: bool) -> int:
            on = date(2021, month, day)
            now = counts.criteria_of(commune.id, on)
            return set_criteria(commune, on, now | {k} if meets else now - {k}, "", office, date(2021, 11, 1))

        def meets_on(*months: int) -> list[bool]:
            return [k in counts.criteria_of(commune.id, date(2021, m, 15)) for m in months]

        assert record(6, 1, True) == 1 and record(9, 1, False) == 1
        # Recorded afterwards, for March: it holds from March until the June row takes over.
        assert record(3, 1, True) == 1
        assert meets_on(2, 3, 6, 9, 10) == [False, True, True, False, False]
        assert record(4, 1, True) == 0  # already met then: nothing to record
        # A correction on the same day replaces the row of that day.
        assert record(6, 1, False) == 1
        assert meets_on(3, 5, 6, 7, 9) == [True, True, False, False, False]
        in_force = db.session.execute(sa.text(
            "SELECT count(*) FROM commune_criterion WHERE commune_id = :c AND criterion = :k "
            "AND since <= '2021-06-15' AND (until IS NULL OR until > '2021-06-15')"), {"c": commune.id, "k": k}).scalar()
        assert in_force == 1
        db.session.rollback()


def test_an_officers_own_page_lists_the_figures_it_still_owes(seeded, client, auth):
    auth.login("noivu@test.vn")
    page = client.get("/my?as_of=2021-05-02").get_data(as_text=True)
    assert "Số liệu chỉ tiêu quý II/2021 còn phải nhập" in page and "Bồi dưỡng cho 2.500 lượt" in page
    assert post_figure(client, seeded, "tc18.1", quarter="2", value="900").status_code == 302
    assert "còn phải nhập" not in client.get("/my?as_of=2021-05-02").get_data(as_text=True)


def test_each_district_enters_its_own_figure_of_an_aim_set_per_district(seeded, client, auth, travel):
    travel(2021, 7, 3)
    key = "model_residential_areas"  # "mỗi huyện … từ 2-3 khu dân cư kiểu mẫu"
    auth.login("dinhlap@test.vn")
    page = client.get(f"/indicators/{indicator_id(seeded, key)}?year=2021&quarter=2").get_data(as_text=True)
    assert 'id="nhap"' in page  # a district enters its own figure though VPĐP reports the indicator
    with seeded.app_context():
        districts = dict(db.session.execute(sa.select(Agency.name, Agency.id).where(Agency.level == "district")).all())
    # The district chosen in the form is ignored: a district's officer enters for its own district.
    assert post_figure(client, seeded, key, quarter="2", value="2",
                       district=str(districts["UBND huyện Văn Quan"])).status_code == 302
    assert client.get("/rounds").status_code == 200
    auth.logout()
    auth.login("vpdp@test.vn")
    no_district = post_figure(client, seeded, key, quarter="2", value="3")
    assert no_district.status_code == 400 and "Chọn huyện, thành phố của số liệu." in no_district.get_data(as_text=True)
    assert post_figure(client, seeded, key, quarter="2", value="3",
                       district=str(districts["UBND huyện Văn Quan"])).status_code == 302
    with seeded.app_context():
        stored = db.session.execute(sa.select(Agency.name, IndicatorEntry.value).join(IndicatorEntry.district)
                                    .order_by(IndicatorEntry.id)).all()
        assert stored == [("UBND huyện Đình Lập", 2), ("UBND huyện Văn Quan", 3)]
        plan = indicator(seeded, key).plan
        row = next(r for r in figures.quarter_figures(plan, 2021, 2).rows if r.indicator.key == key)
        assert (row.actual, row.goal, row.missing) == (5, 22, False)  # 2 + 3 of at least 2 in each of 11 districts
        owed = figures.figures_owed(plan.id, 2021, 2)
        assert indicator(seeded, key) not in owed.get(districts["UBND huyện Đình Lập"], [])
        assert indicator(seeded, key) in owed[districts["UBND huyện Bắc Sơn"]]
    page = client.get("/indicators/districts?year=2021&quarter=2").get_data(as_text=True)
    assert "Chỉ tiêu giao cho từng huyện" in page and "Khu dân cư kiểu mẫu" in page
    body = client.get("/api/v1/indicators?year=2021&quarter=2").get_json()
    areas = next(i for i in body["indicators"] if i["key"] == key)
    assert areas["actual"] == 5 and areas["by_district"] == {str(districts["UBND huyện Đình Lập"]): 2,
                                                              str(districts["UBND huyện Văn Quan"]): 3}


def test_a_plan_without_indicators_says_so_rather_than_failing(seeded, client, auth):
    """A plan imported from its document for a new year has no indicators until the office loads them."""
    from tracker.plan.models import Plan

    with seeded.app_context():
        db.session.add(Plan(year=2022, title="Kế hoạch năm 2022"))
        db.session.commit()
    auth.login("vpdp@test.vn")
    page = client.get("/indicators?year=2022&quarter=2")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Kế hoạch năm 2022 chưa có chỉ tiêu nào" in text
    assert "tổng kế hoạch ghi" not in text and "None" not in text
