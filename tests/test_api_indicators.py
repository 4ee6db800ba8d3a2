"""The plan's numbers through the API: an indicator quarter by quarter, its figures, the communes and their criteria,
and every change the pages offer, with the same permissions; every answer checked against the OpenAPI document."""
from __future__ import annotations

import io

import sqlalchemy as sa

from helpers import bearer
from test_indicators import HEADER, indicator_id, row
from tracker.extensions import db
from tracker.indicators.models import Commune
from tracker.plan.models import Agency


def agency_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Agency.id).where(Agency.name == name))


def commune_id(app, district: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Commune.id).join(Agency, Agency.id == Commune.district_id)
                                 .where(Agency.name == district).order_by(Commune.name))


def test_one_indicator_quarter_by_quarter(seeded, client, travel):
    travel(2021, 5, 10)
    headers = bearer(seeded, "lanhdao@test.vn")
    body = client.get(f"/api/v1/indicators/{indicator_id(seeded, 'tc02')}?quarter=1", headers=headers).get_json()
    assert (body["key"], body["plan"], body["quarter"], body["computed"], body["may_enter"]) == ("tc02", 2021, 1, True, False)
    assert body["target_text"] == "96/181 xã (53%)" and body["responsible"]["name"] == "Sở Giao thông vận tải"
    assert [q["quarter"] for q in body["quarters"]] == [1, 2, 3, 4]
    assert [q["running"] for q in body["quarters"]] == [False, True, False, False]
    assert body["quarters"][1]["counted_to"] == "2021-05-10" and body["quarters"][2]["actual"] is None
    assert client.get("/api/v1/indicators/999999", headers=headers).status_code == 404
    assert client.get(f"/api/v1/indicators/{indicator_id(seeded, 'tc02')}?quarter=5", headers=headers).status_code == 400
    assert client.get(f"/api/v1/indicators/{indicator_id(seeded, 'tc02')}").status_code == 401


def test_the_responsible_body_enters_figures_and_reads_their_history(seeded, client, travel):
    travel(2021, 4, 12)
    target = f"/api/v1/indicators/{indicator_id(seeded, 'tc18.1')}/entries"
    noivu = bearer(seeded, "noivu@test.vn")
    first = client.post(target, json={"quarter": 1, "value": "1.200", "note": "Theo báo cáo của các huyện"},
                        headers=noivu)
    assert first.status_code == 201, first.get_json()
    assert (first.get_json()["value"], first.get_json()["agency"], first.get_json()["district"]) == (1200, "Sở Nội vụ", None)
    assert client.post(target, json={"quarter": 1, "value": 1250, "note": None}, headers=noivu).status_code == 201
    listed = client.get(f"{target}?per_page=1", headers=noivu)
    page = listed.get_json()
    assert (page["total"], page["per_page"], [e["value"] for e in page["items"]]) == (2, 1, [1250])
    assert 'rel="next"' in listed.headers["Link"]
    assert client.get(f"{target}?quarter=2", headers=noivu).get_json()["total"] == 0
    detail = client.get(f"/api/v1/indicators/{indicator_id(seeded, 'tc18.1')}?quarter=1", headers=noivu).get_json()
    assert (detail["actual"], detail["may_enter"], detail["quarters"][0]["entry"]["value"]) == (1250, True, 1250)
    # Another department reads but may not enter, whatever it sends; the rules speak per field, in Vietnamese.
    refused = client.post(target, json={"quarter": 1, "value": "3000"}, headers=bearer(seeded, "khdt@test.vn"))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.post(target, json={}, headers=bearer(seeded, "khdt@test.vn")).status_code == 403
    bad = client.post(target, json={"quarter": 1, "value": "12,5"}, headers=noivu).get_json()
    assert bad["status"] == 400 and bad["errors"] == {"value": ["Số lượt phải là số nguyên."]}
    later = client.post(target, json={"quarter": 4, "value": "10"}, headers=noivu).get_json()
    assert later["errors"] == {"quarter": ["Quý 4/2021 chưa bắt đầu."]}
    typed = client.post(target, json={"quarter": "một", "value": True}, headers=noivu).get_json()
    assert set(typed["errors"]) == {"quarter", "value"}
    assert client.get(target, headers=noivu).get_json()["total"] == 2


def test_a_counted_indicator_takes_no_figure_and_a_district_enters_its_own(seeded, client, travel):
    travel(2021, 7, 3)
    office = bearer(seeded, "vpdp@test.vn")
    counted = client.post(f"/api/v1/indicators/{indicator_id(seeded, 'tc02')}/entries",
                          json={"quarter": 2, "value": "90"}, headers=office).get_json()
    assert "được tính từ tiêu chí của các xã" in counted["errors"]["value"][0]
    target = f"/api/v1/indicators/{indicator_id(seeded, 'model_residential_areas')}/entries"
    van_quan = agency_id(seeded, "UBND huyện Văn Quan")
    own = client.post(target, json={"quarter": 2, "value": "2", "district": van_quan},
                      headers=bearer(seeded, "dinhlap@test.vn"))
    assert own.status_code == 201 and own.get_json()["district"]["name"] == "UBND huyện Đình Lập"
    none = client.post(target, json={"quarter": 2, "value": "3"}, headers=office).get_json()
    assert none["errors"] == {"district": ["Chọn huyện, thành phố của số liệu."]}
    chosen = client.post(target, json={"quarter": 2, "value": "3", "district": van_quan}, headers=office)
    assert chosen.status_code == 201 and chosen.get_json()["district"]["id"] == van_quan
    assert client.get(f"{target}?district={van_quan}", headers=office).get_json()["total"] == 1
    detail = client.get(target.removesuffix("/entries") + "?quarter=2", headers=office).get_json()
    assert detail["actual"] == 5 and detail["quarters"][1]["by_district"][str(van_quan)] == 3


def test_the_office_gives_an_indicator_to_a_body(seeded, client):
    target = f"/api/v1/indicators/{indicator_id(seeded, 'advanced_communes')}/responsible"
    office = bearer(seeded, "vpdp@test.vn")
    noivu = agency_id(seeded, "Sở Nội vụ")
    given = client.put(target, json={"agency": noivu}, headers=office)
    assert given.status_code == 200 and given.get_json()["responsible"] == {"id": noivu, "name": "Sở Nội vụ"}
    with seeded.app_context():
        group = db.session.scalar(sa.select(Agency.id).where(Agency.level == "group"))
    for wrong in (group, 999999):
        refused = client.put(target, json={"agency": wrong}, headers=office).get_json()
        assert refused["errors"] == {"agency": ["Chọn một cơ quan trong danh sách."]}
    assert client.put(target, json={"agency": "Sở Nội vụ"}, headers=office).get_json()["errors"]["agency"]
    assert client.put(target, json={"agency": None}, headers=office).get_json()["responsible"] is None
    assert client.put(target, json={"agency": noivu}, headers=bearer(seeded, "noivu@test.vn")).status_code == 403
    assert client.get(target.removesuffix("/responsible"), headers=office).get_json()["responsible"] is None


def test_the_communes_page_by_page_with_the_pages_filters(seeded, client):
    headers = bearer(seeded, "lanhdao@test.vn")
    listed = client.get("/api/v1/communes?year=2021&quarter=4&per_page=50", headers=headers)
    body = listed.get_json()
    assert (body["total"], len(body["items"]), body["as_of"], body["sample_communes"]) == (181, 50, "2021-12-31", True)
    assert 'rel="last"' in listed.headers["Link"] and "quarter=4" in listed.headers["Link"]
    met = [c["criteria_met"] for c in body["items"]]
    assert met == sorted(met, reverse=True) and all(c["criteria_met"] == len(c["criteria"]) for c in body["items"])
    district = agency_id(seeded, "UBND huyện Đình Lập")
    own = client.get(f"/api/v1/communes?year=2021&quarter=4&district={district}&per_page=500", headers=headers).get_json()
    assert own["total"] and {c["district"]["id"] for c in own["items"]} == {district}
    close = client.get("/api/v1/communes?year=2021&quarter=2&close=1&per_page=500", headers=headers).get_json()
    assert close["total"] and all(17 <= c["criteria_met"] <= 18 for c in close["items"])
    assert client.get("/api/v1/communes?district=abc", headers=headers).status_code == 400
    assert client.get("/api/v1/communes?close=2", headers=headers).status_code == 400


def test_a_district_records_its_communes_criteria(seeded, client, travel):
    travel(2021, 5, 10)
    commune = commune_id(seeded, "UBND huyện Đình Lập")
    target = f"/api/v1/communes/{commune}"
    district = bearer(seeded, "dinhlap@test.vn")
    before = client.get(target, headers=district).get_json()
    assert before["may_edit"] is True and before["as_of"] == "2021-05-10"
    missing = min(set(range(1, 20)) - set(before["criteria"]))
    changed = client.patch(target, json={"since": "08/05/2021", "met": [*before["criteria"], missing],
                                         "note": "Quyết định công nhận số 12/QĐ-UBND"}, headers=district)
    assert changed.status_code == 200, changed.get_json()
    after = changed.get_json()
    assert after["changed"] == 1 and missing in after["criteria"]
    [recorded] = [change for change in after["history"] if change["note"] == "Quyết định công nhận số 12/QĐ-UBND"]
    assert (recorded["criterion"], recorded["met"], recorded["since"]) == (missing, True, "2021-05-08")
    future = client.patch(target, json={"since": "2021-06-01", "met": [1]}, headers=district).get_json()
    assert future["errors"] == {"since": ["Không ghi nhận trước cho ngày chưa đến."]}
    assert set(client.patch(target, json={"since": "2021-05-08", "met": [20]}, headers=district).get_json()["errors"]) == {"met"}
    assert client.patch(target, json={"met": [1]}, headers=district).get_json()["errors"]["since"]
    other = f"/api/v1/communes/{commune_id(seeded, 'UBND huyện Văn Quan')}"
    assert client.patch(other, json={"since": "2021-05-08", "met": [1]}, headers=district).status_code == 403
    assert client.get(other, headers=district).get_json()["may_edit"] is False
    assert client.get(target, headers=district).get_json()["criteria"] == after["criteria"]
    assert client.get("/api/v1/communes/999999", headers=district).status_code == 404


def csv_file(rows, name="xa.csv"):
    text = "\n".join(",".join(map(str, r)) for r in [HEADER, *rows]) + "\n"
    return (io.BytesIO(text.encode()), name)


def test_the_office_imports_the_communes_file_whole_or_not_at_all(seeded, client, travel):
    travel(2021, 5, 10)
    office = bearer(seeded, "vpdp@test.vn")
    bad = client.post("/api/v1/communes/import", data={"file": csv_file([
        row("Đình Lập", "Xã Bắc Xa", "31/12/2020", range(1, 15)),
        row("Huyện Không Có", "Xã A", "31/12/2020", range(1, 3)),
        row("Đình Lập", "Xã Bính Xá", "31/02/2021", range(1, 3))])}, headers=office)
    assert bad.status_code == 400
    assert bad.get_json()["errors"]["file"] == ["Dòng 3: huyện «Huyện Không Có» không có trong danh sách cơ quan.",
                                                "Dòng 4: ngày «31/02/2021» không hợp lệ (dùng dd/mm/yyyy)."]
    assert client.get("/api/v1/communes", headers=office).get_json()["total"] == 181
    assert client.post("/api/v1/communes/import", data={}, headers=office).get_json()["errors"]
    assert client.post("/api/v1/communes/import", json={"file": "xa.csv"}, headers=office).status_code == 400
    good = {"file": csv_file([row("Chi Lăng", "Xã Vân An", "15/01/2021", range(1, 19))])}
    assert client.post("/api/v1/communes/import", data=good,
                       headers=bearer(seeded, "dinhlap@test.vn")).status_code == 403
    done = client.post("/api/v1/communes/import",
                       data={"file": csv_file([row("Chi Lăng", "Xã Vân An", "15/01/2021", range(1, 19))])},
                       headers=office)
    assert done.status_code == 200
    assert done.get_json() == {"communes": 1, "created": 1, "changes": 18, "removed_sample": 181}
    listed = client.get("/api/v1/communes", headers=office).get_json()
    assert listed["total"] == 1 and listed["sample_communes"] is False
    assert listed["items"][0]["name"] == "Xã Vân An" and listed["items"][0]["criteria_met"] == 18
