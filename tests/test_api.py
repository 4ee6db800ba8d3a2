"""The read-only JSON API."""
import pytest


def test_tasks_list(reader):
    data = reader.get("/api/v1/tasks").get_json()
    assert data["total"] == 27 and len(data["items"]) == 27
    first = data["items"][0]
    assert first["code"] == "I.1" and first["section"] == "I"
    assert set(first) >= {"code", "section", "title", "timeline", "schedule", "lead", "executing", "coordinating"}


def test_task_detail(reader):
    task = reader.get("/api/v1/tasks/II.1").get_json()
    assert task["timeline"] == "Quý I"
    assert task["schedule"] == {"kind": "quarter", "start": "2021-01-01", "due": "2021-03-31", "recurrence": None}
    assert task["executing"] == ["Sở Kế hoạch và Đầu tư", "Sở Tài chính",
                                 "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
    assert task["lead"] == ["Ủy ban nhân dân tỉnh Lạng Sơn", "Ban Chỉ đạo các Chương trình MTQG tỉnh"]
    assert task["coordinating"] == ["BCĐ cấp huyện, xã"]


def test_task_with_illegible_timeline(reader):
    task = reader.get("/api/v1/tasks/II.2").get_json()
    assert task["needs_date"] is True
    assert task["schedule"] == {"kind": "unclear", "start": None, "due": None, "recurrence": None}


@pytest.mark.parametrize(("query", "codes"), [
    ("section=XI", ["XI.1", "XI.2"]),
    ("kind=per_plan", ["VIII.1", "VIII.2"]),
    ("q=hop+ban+chi+dao", ["XI.1"]),
    ("agency=Sở Nội vụ&role=lead", ["X.1"]),
    ("agency=noi vu&role=lead", ["X.1"]),
    ("agency=Bộ CHQS&section=X", ["X.2"]),
])
def test_filters(reader, query, codes):
    data = reader.get(f"/api/v1/tasks?{query}").get_json()
    assert [t["code"] for t in data["items"]] == codes
    assert data["total"] == len(codes)


def test_pagination(reader):
    page = reader.get("/api/v1/tasks?per_page=10&page=3").get_json()
    assert page["total"] == 27 and [t["code"] for t in page["items"]][:1] == ["IX.2"] and len(page["items"]) == 7


@pytest.mark.parametrize(("query", "field"), [
    ("role=boss", "role"), ("kind=soon", "kind"), ("section=XX", "section"), ("agency=nobody", "agency"),
    ("page=0", "page"), ("per_page=100000", "per_page"), ("q=" + "x" * 300, "q"),
])
def test_bad_filters_answer_400_with_field_errors(reader, query, field):
    response = reader.get(f"/api/v1/tasks?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_unknown_task_is_404_json(reader):
    response = reader.get("/api/v1/tasks/Z.9")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 404 and problem["type"] == "/api/problems/not-found" and problem["detail"]


def test_agencies(reader):
    items = reader.get("/api/v1/agencies").get_json()["items"]
    by_name = {a["name"]: a for a in items}
    assert "KH&ĐT" in by_name["Sở Kế hoạch và Đầu tư"]["aliases"]
    assert len(by_name["BCĐ cấp huyện, xã"]["members"]) == 11
    assert by_name["BCĐ cấp huyện, xã"]["is_group"] is True
