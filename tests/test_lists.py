"""Lists and counts in the database: totals that match the rules, sorting users expect, a fixed number of
SQL statements whatever the plan's size, and indexes the hot filters use."""
from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bench.synthetic import seed_synthetic
from helpers import codes
from conftest import PASSWORD, make_app
from databases import on_postgresql
from tracker.auth.services import create_user
from tracker.extensions import db
from tracker.maintenance import refresh_statistics
from tracker.plan.models import Agency, Plan, Task
from tracker.plan.services import TaskFilter, task_conditions
from tracker.progress.categories import CATEGORIES, LineFacts, deadline_of, task_category
from tracker.progress.category_sql import task_in_category
from tracker.text import sort_key

AS_OF = "2021-04-15"


COUNT = re.compile(r'<p class="count">(\d+) công việc')


def python_categories(as_of: date) -> dict[str, str]:
    """Every task's category by the Python specification, from its lines."""
    tasks = db.session.scalars(sa.select(Task)).all()
    return {t.code: task_category([LineFacts(l.status, l.started_on, l.completed_on) for l in t.lines],
                                  deadline_of(t.schedule_kind, t.due_on), as_of) for t in tasks}


def test_filtered_totals_equal_the_specification(seeded, reader):
    with seeded.app_context():
        expected = python_categories(date.fromisoformat(AS_OF))
    for category in CATEGORIES:
        page = reader.get(f"/?category={category}&as_of={AS_OF}").get_data(as_text=True)
        wanted = sorted(code for code, found in expected.items() if found == category)
        total = int(re.search(r'<p class="count">(\d+) công việc', page).group(1))
        assert total == len(wanted), category
        assert sorted(codes(page)) == wanted
        api = reader.get(f"/api/v1/tasks?category={category}&as_of={AS_OF}").get_json()
        assert api["total"] == len(wanted) and sorted(t["code"] for t in api["items"]) == wanted


def test_a_task_leaves_overdue_only_when_every_body_is_done(seeded, client, auth):
    auth.login("vpdp@test.vn")  # the office enters updates for bodies that reported on paper
    with seeded.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        lines = [(line.id, line.version) for line in task.lines]
    assert len(lines) == 3
    overdue = int(COUNT.search(client.get("/?category=overdue&as_of=2021-04-15").get_data(as_text=True)).group(1))
    for number, (line_id, version) in enumerate(lines, start=1):
        assert "II.1" in codes(client.get("/?category=overdue&as_of=2021-04-15").get_data(as_text=True))
        response = client.post(f"/tasks/II.1/lines/{line_id}", data={
            f"line{line_id}-status": "done", f"line{line_id}-progress": "100",
            f"line{line_id}-completed_on": f"2021-03-{10 + number}", f"line{line_id}-version": str(version)})
        assert response.status_code == 302
    page = client.get("/?category=overdue&as_of=2021-04-15").get_data(as_text=True)
    # The list's total is kept between writes, and a write moves it at once.
    assert "II.1" not in codes(page) and int(COUNT.search(page).group(1)) == overdue - 1
    assert "II.1" in codes(client.get("/?category=done_on_time&as_of=2021-04-15").get_data(as_text=True))
    # Judged on a day between the first and the last completion it was still in progress.
    assert "II.1" in codes(client.get("/?category=in_progress&as_of=2021-03-12").get_data(as_text=True))


def test_sort_by_deadline_and_by_days_overdue(reader):
    by_deadline = reader.get(f"/api/v1/tasks?sort=deadline&as_of={AS_OF}&per_page=500").get_json()["items"]
    dues = [t["schedule"]["due"] for t in by_deadline if t["category"] != "ongoing" or t["schedule"]["due"]]
    fixed = [t["schedule"]["due"] for t in by_deadline if t["schedule"]["kind"] in ("quarter", "month")]
    assert fixed == sorted(fixed) and fixed == [d for d in dues[:len(fixed)]]
    assert all(t["schedule"]["kind"] not in ("quarter", "month") for t in by_deadline[len(fixed):])

    most_overdue = reader.get(f"/api/v1/tasks?sort=overdue&as_of={AS_OF}&per_page=500").get_json()["items"]
    categories = [t["category"] for t in most_overdue]
    overdue = categories.count("overdue")
    assert overdue > 1 and categories[:overdue] == ["overdue"] * overdue
    due_dates = [t["schedule"]["due"] for t in most_overdue[:overdue]]
    assert due_dates == sorted(due_dates)  # the earliest deadline has been overdue longest
    page = reader.get(f"/?category=overdue&sort=overdue&as_of={AS_OF}").get_data(as_text=True)
    assert codes(page) == [t["code"] for t in most_overdue[:overdue]]
    assert "quá 15 ngày" in page  # a first-quarter task, due 31/03/2021, seen on 15/04/2021


def test_agencies_are_listed_in_vietnamese_order(reader):
    page = reader.get("/").get_data(as_text=True)
    options = re.findall(r'<option value="\d+"[^>]*>UBND huyện ([^<]+)</option>', page)
    assert options == ["Bắc Sơn", "Bình Gia", "Cao Lộc", "Chi Lăng", "Đình Lập", "Hữu Lũng", "Lộc Bình", "Tràng Định",
                       "Văn Lãng", "Văn Quan"]
    listing = reader.get("/api/v1/agencies").get_json()["items"]
    names = [a["name"] for a in listing]
    assert names == sorted(names, key=sort_key)


@pytest.mark.parametrize(("names", "expected"), [
    (["Bình Gia", "Bắc Sơn"], ["Bắc Sơn", "Bình Gia"]),
    (["Định", "Đình Lập", "Dân tộc", "Duyên", "Đình"], ["Dân tộc", "Duyên", "Đình", "Đình Lập", "Định"]),
    (["Mac", "Ma", "Má", "Ma Lu"], ["Ma", "Ma Lu", "Má", "Mac"]),
    (["Ơn", "Ôn", "On", "Ơ"], ["On", "Ôn", "Ơ", "Ơn"]),
    (["má", "mà", "ma", "mạ", "mã", "mả"], ["ma", "mà", "mả", "mã", "má", "mạ"]),
    (["Sở Y tế", "Sở Xây dựng", "Sở Tư pháp", "Sở Tài chính"], ["Sở Tài chính", "Sở Tư pháp", "Sở Xây dựng", "Sở Y tế"]),
    (["Văn Quan", "Văn Lãng", "Văn"], ["Văn", "Văn Lãng", "Văn Quan"]),
])
def test_vietnamese_sort_key(names, expected):
    assert sorted(names, key=sort_key) == expected


def test_bad_list_parameters_answer_400_with_a_message(reader):
    for query in ("sort=random", "page=0", "page=abc", "page=%C2%B2", "category=late", "as_of=31/02/2021", "as_of=2021-4-15"):
        page = reader.get(f"/?{query}")
        assert page.status_code == 400, query
        api = reader.get(f"/api/v1/tasks?{query}")
        assert api.status_code == 400 and api.get_json()["errors"], query
    assert codes(reader.get("/?page=99").get_data(as_text=True)) == []


# --- scale ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """Two synthetic plans, of 100 and of 2,000 tasks, each in its own database, with a leader account."""
    apps = {}
    for size in (100, 2000):
        app = make_app(tmp_path_factory.mktemp(f"plan{size}"))
        with app.app_context():
            seed_synthetic(size, 2021, date(2021, 6, 24))
            create_user("lanhdao@test.vn", "UBND tỉnh", "leader", PASSWORD)
            db.session.commit()
            refresh_statistics()
            db.session.commit()
        apps[size] = app
    yield apps
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()


def _count_statements(app, paths: list[str]) -> list[int]:
    client = app.test_client()
    client.post("/login", data={"email": "lanhdao@test.vn", "password": PASSWORD})
    with app.app_context():
        district = db.session.scalar(sa.select(Agency.id).where(Agency.name == "UBND huyện Đình Lập"))
        engine = db.engine
    counts, seen = [], [0]

    def count(*_):
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in paths:
            seen[0] = 0
            response = client.get(path.format(district=district))
            assert response.status_code == 200, path
            counts.append(seen[0])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


LIST_PATHS = [
    "/?as_of=2021-06-24",
    "/?category=overdue&sort=overdue&as_of=2021-06-24",
    "/?sort=deadline",
    "/api/v1/tasks?sort=deadline&page=2&per_page=20",
    "/?agency={district}&role=executing&category=in_progress",
    "/?q=thu+tai&section=III",
    "/api/v1/tasks?category=overdue&as_of=2021-06-24&per_page=100",
    "/api/v1/tasks?agency={district}&sort=overdue",
    "/agencies/{district}?as_of=2021-06-24",
    "/tasks/I.1",
    "/api/v1/tasks/I.1",
]


def test_statements_per_request_do_not_grow_with_the_plan(plans):
    small, large = (_count_statements(plans[size], LIST_PATHS) for size in (100, 2000))
    assert small == large
    # 26: a leader's page also reads the office's sign-in rule (must they set up two-factor sign-in first?).
    assert max(large) <= 26


def test_lists_page_through_a_large_plan(plans):
    client = plans[2000].test_client()
    client.post("/login", data={"email": "lanhdao@test.vn", "password": PASSWORD})
    first = client.get("/api/v1/tasks?per_page=500").get_json()
    assert first["total"] == 2000 and len(first["items"]) == 500
    last = client.get("/api/v1/tasks?per_page=500&page=4").get_json()["items"]
    assert last[-1]["code"] == "XII.163" and len({t["code"] for t in first["items"] + last}) == 1000


@pytest.mark.skipif(on_postgresql(), reason="SQLite's planner; PostgreSQL's: test_postgresql_plans_use_the_indexes")
def test_hot_filters_use_their_indexes(plans):
    with plans[2000].app_context():
        plan = db.session.scalar(sa.select(Plan))
        district = db.session.scalar(sa.select(Agency).where(Agency.name == "UBND huyện Đình Lập"))

        def plan_of(query) -> str:
            sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
            return " / ".join(row[-1] for row in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))

        def count(*conditions):
            return sa.select(sa.func.count()).select_from(Task).where(*conditions)

        overdue = [*task_conditions(plan, TaskFilter()), task_in_category("overdue", date(2021, 6, 24))]
        # Counting reads only the index; the most overdue page walks the index in order and stops early.
        assert "USING COVERING INDEX ix_task_plan_due " in plan_of(count(*overdue)) + " "
        page = plan_of(sa.select(Task.id).where(*overdue).order_by(Task.due_on, Task.position, Task.id).limit(100))
        assert "INDEX ix_task_plan_due " in page + " " and "TEMP B-TREE" not in page
        appendix_order = plan_of(sa.select(Task.id).where(Task.plan_id == plan.id).order_by(Task.position).limit(100))
        assert "ix_task_plan_position" in appendix_order and "TEMP B-TREE" not in appendix_order
        by_agency = plan_of(count(*task_conditions(plan, TaskFilter(agency=district, role="executing"))))
        assert "ix_assignment_agency_role_task" in by_agency and "SCAN task" not in by_agency


@pytest.mark.skipif(not on_postgresql(), reason="needs PostgreSQL")
def test_postgresql_plans_use_the_indexes(plans):
    """On PostgreSQL, after ANALYZE, the overdue page, the appendix page and the counts by agency read
    an index, never the whole task table (at 2,000 tasks it may still sort the few rows it finds)."""
    with plans[2000].app_context():
        plan = db.session.scalar(sa.select(Plan))

        def plan_of(query) -> str:
            sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
            return "\n".join(row[0] for row in db.session.execute(sa.text("EXPLAIN " + sql)))

        overdue = [*task_conditions(plan, TaskFilter()), task_in_category("overdue", date(2021, 6, 24))]
        page = plan_of(sa.select(Task.id).where(*overdue).order_by(Task.due_on, Task.position, Task.id).limit(100))
        assert "ix_task_plan_due" in page and "Seq Scan on task" not in page, page
        appendix_order = plan_of(sa.select(Task.id).where(Task.plan_id == plan.id).order_by(Task.position).limit(100))
        assert "ix_task_plan_position" in appendix_order and "Sort" not in appendix_order, appendix_order
        district = db.session.scalar(sa.select(Agency).where(Agency.name == "UBND huyện Đình Lập"))
        by_agency = plan_of(sa.select(sa.func.count()).select_from(Task).where(
            *task_conditions(plan, TaskFilter(agency=district, role="executing"))))
        assert "ix_assignment_agency_role_task" in by_agency, by_agency
