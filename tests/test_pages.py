"""The pages a department officer or the coordination office reads."""

import pytest
import sqlalchemy as sa

from helpers import codes
from tracker.extensions import db
from tracker.plan.models import Agency


def test_plan_page_lays_out_the_appendix(reader):
    response = reader.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(codes(html)) == 27
    assert codes(html)[:3] == ["I.1", "II.1", "II.2"]
    assert "Kiện toàn bộ máy" in html and "Chế độ thông tin, báo cáo" in html
    assert "31/03/2021" in html  # II.1 due, dd/mm/yyyy
    assert html.count('<span class="badge warn">Cần xác định hạn</span>') == 6


def test_empty_database_explains_how_to_seed(app, client, auth):
    from tracker.auth.services import create_user
    from tracker.plan.services import load_agencies

    with app.app_context():
        load_agencies("seeds/agencies.csv")
        create_user("vpdp@test.vn", "VPĐP tỉnh", "office", "mat-khau-thu-nghiem")
        db.session.commit()
    auth.login()
    response = client.get("/")
    assert response.status_code == 404
    assert "flask --app wsgi seed" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("ke hoach", {"II.1", "II.3", "IV.1", "VIII.1", "XI.2", "XII.1"}),
    ("KẾ HOẠCH VỐN", {"II.1", "II.3"}),
    ("tap huan", {"IV.4", "IV.6"}),
])
def test_search_ignores_diacritics_and_case(reader, query, expected):
    found = set(codes(reader.get("/", query_string={"q": query}).get_data(as_text=True)))
    assert expected <= found
    assert all(c in found for c in expected)


def test_search_dinh_lap_finds_district_work(reader):
    found = codes(reader.get("/?q=dinh+lap").get_data(as_text=True))
    assert "IX.2" in found  # executed by every district, Đình Lập among them
    assert "IV.1" not in found
    assert codes(reader.get("/?q=Đình+Lập").get_data(as_text=True)) == found


def test_filters(reader):
    assert codes(reader.get("/?section=IV").get_data(as_text=True)) == [f"IV.{n}" for n in range(1, 7)]
    assert codes(reader.get("/?kind=per_plan").get_data(as_text=True)) == ["VIII.1", "VIII.2"]
    with reader.application.app_context():
        noi_vu = db.session.scalar(sa.select(Agency).where(Agency.name == "Sở Nội vụ")).id
    executing = codes(reader.get(f"/?agency={noi_vu}&role=executing").get_data(as_text=True))
    assert executing == ["II.2", "III.1", "IV.1", "VI.1", "XII.1"]  # directly, or as a member of BCĐ / Sở, ngành
    assert codes(reader.get(f"/?agency={noi_vu}&role=lead").get_data(as_text=True)) == ["X.1"]


@pytest.mark.parametrize("query", ["section=XX", "agency=không có", "role=boss", "kind=soon", "agency=99999999999999"])
def test_bad_filters_get_a_message_not_a_500(reader, query):
    response = reader.get(f"/?{query}")
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_task_page(reader):
    html = reader.get("/tasks/IX.2").get_data(as_text=True)
    assert "Giảm nghèo, Lao động có việc làm thường xuyên và đào tạo nghề" in html
    assert "BCĐ, BQL xây dựng NTM cấp huyện, xã" in html  # the cell as written
    assert "11: " in html and "UBND huyện Văn Quan" in html  # the bodies it expands to
    assert reader.get("/tasks/ix.2").status_code == 200
    assert reader.get("/tasks/IX.9").status_code == 404


def test_flagged_task_page_says_it_needs_a_date(reader):
    html = reader.get("/tasks/II.2").get_data(as_text=True)
    assert "Cần xác định hạn" in html and "không đọc được" in html


def test_agency_page_is_a_responsibility_sheet(reader):
    with reader.application.app_context():
        vpdp = db.session.scalar(sa.select(Agency).where(Agency.name.like("Văn phòng Điều phối%"))).id
        dinh_lap = db.session.scalar(sa.select(Agency).where(Agency.name == "UBND huyện Đình Lập")).id
    html = reader.get(f"/agencies/{vpdp}").get_data(as_text=True)
    assert "Cơ quan thực hiện (" in html and "VPĐP tỉnh" in html
    assert "II.1" in html and "IV.4" in html
    district = reader.get(f"/agencies/{dinh_lap}").get_data(as_text=True)
    assert "qua nhóm «BCĐ cấp huyện, xã»" in district
    assert reader.get("/agencies/999999").status_code == 404


def test_agency_search_folds(reader):
    html = reader.get("/agencies?q=dinh+lap").get_data(as_text=True)
    assert "UBND huyện Đình Lập" in html and "Sở Nội vụ" not in html
    assert "Sở Kế hoạch và Đầu tư" in reader.get("/agencies?q=kh%26dt").get_data(as_text=True)


def test_plan_page_paginates(seeded, reader):
    seeded.config["PAGE_SIZE"] = 10
    second = reader.get("/?page=2").get_data(as_text=True)
    assert codes(second) == ["IV.6", "V.1", "VI.1", "VII.1", "VII.2", "VII.3", "VIII.1", "VIII.2", "VIII.3", "IX.1"]
    assert "trang 2/3" in second
    assert codes(reader.get("/?page=99").get_data(as_text=True)) == []
    bad = reader.get("/?page=abc")
    assert bad.status_code == 400 and "Not a valid integer" not in bad.get_data(as_text=True)


def test_chosen_year_follows_links(seeded, runner, reader):
    assert runner.invoke(args=["seed", "--year", "2026"]).exit_code == 0
    latest = reader.get("/").get_data(as_text=True)
    assert "năm 2026" in latest and 'href="/?year=2021"' in latest
    old = reader.get("/?year=2021").get_data(as_text=True)
    assert "/tasks/II.1?year=2021" in old
    assert "31/03/2021" in reader.get("/tasks/II.1?year=2021").get_data(as_text=True)
    assert "31/03/2026" in reader.get("/tasks/II.1").get_data(as_text=True)
