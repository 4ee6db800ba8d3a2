"""The lists read their first page and their counts from indexes: the plans of the statements the pages issue.

Each test requests a page with the test client, captures the statements the app sends (as sent, with their
parameters) and asks the database how it runs them: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN. The
seeded plan is too small for PostgreSQL to prefer an index honestly (it reads a tiny table whole), so the
database gets two synthetic plans, the one listed a minority of the table as a year is among many, then
VACUUM and ANALYZE, as autovacuum leaves a production database.
"""
from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from conftest import PASSWORD, reset_to_seeded
from databases import copy_into, fresh_database, on_postgresql
from tracker import create_app
from tracker.auth.services import create_user
from tracker.changes import forget_kept
from tracker.extensions import db
from tracker.maintenance import refresh_statistics
from tracker.plan.models import Agency

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from synthetic import seed_synthetic  # noqa: E402

YEAR, AS_OF = 2031, date(2031, 6, 24)
TASKS = 1500  # the plan listed, beside another year of OTHER_TASKS
OTHER_TASKS = 4000
LEADER = "lanhdao-plans@test.vn"
BIG_TABLES = ("task", "status_line", "assignment", "own_line")  # own_line: the agency's status lines


@pytest.fixture(scope="module")
def large_template(seeded_template, tmp_path_factory):
    """The seeded database plus synthetic plans in YEAR - 1 and YEAR, analysed; made once for the module."""
    folder = tmp_path_factory.mktemp("large")
    url = fresh_database(folder)
    copy_into(url, seeded_template)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        seed_synthetic(OTHER_TASKS, YEAR - 1, date(YEAR - 1, 6, 24))
        seed_synthetic(TASKS, YEAR, AS_OF)
        create_user(LEADER, "UBND tỉnh", "leader", PASSWORD)
        db.session.commit()
        db.session.remove()
        if on_postgresql():  # outside a transaction: VACUUM marks pages all-visible for index-only scans
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            refresh_statistics()
            db.session.commit()
            db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture
def large(app, large_template):
    """The app on a copy of the large database, with a leader signed in."""
    reset_to_seeded(app, large_template)
    client = app.test_client()
    client.post("/login", data={"email": LEADER, "password": PASSWORD})
    return app, client


def statements_of(large, path: str) -> list[tuple[str, object]]:
    """Every statement the request for path sends to the database, with its parameters."""
    app, client = large
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return sent


def plan_of(app, statement: str, parameters) -> list[str]:
    """How the database runs the statement: one line per step."""
    with app.app_context(), db.engine.connect() as connection:
        if on_postgresql():
            return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
        return [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


def _reads_tasks(statement: str) -> bool:
    return bool(re.search(r"\bFROM (task|status_line AS own_line)\b", statement))


def task_statements(large, path: str) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """The request's list statements over tasks, with their plans: (the pages' rows, the counts)."""
    app = large[0]
    forget_kept(app)  # as the first reader after a write finds it: the counts a worker keeps are counted afresh
    rows, counts = [], []
    for statement, parameters in statements_of(large, path):
        if not _reads_tasks(statement):
            continue
        explained = (statement, plan_of(app, statement, parameters))
        (rows if "LIMIT" in statement else counts).append(explained)
    assert rows and counts, f"{path} issued no list statement"
    return rows, counts


def full_scans(plan: list[str]) -> list[str]:
    """The steps that read a big table whole."""
    if on_postgresql():
        return [s for s in plan if re.search(rf"Seq Scan on ({'|'.join(BIG_TABLES)})\b", s)]
    return [s for s in plan if re.match(rf"SCAN ({'|'.join(BIG_TABLES)})\b", s.strip())]


def sorts(plan: list[str]) -> list[str]:
    """The steps that sort the rows of a page's order (rather than walk an index in that order)."""
    if on_postgresql():
        return [s for s in plan if re.search(r"\bSort\b", s)]
    return [s for s in plan if "TEMP B-TREE FOR ORDER BY" in s]


def uncovered(plan: list[str]) -> list[str]:
    """The steps of a count that read a big table's rows instead of an index alone."""
    if on_postgresql():
        return [s for s in plan if re.search(rf"(Seq Scan|Index Scan|Bitmap Heap Scan) .*on ({'|'.join(BIG_TABLES)})\b", s)
                and "Index Only Scan" not in s]
    return [s for s in plan if re.match(rf"(SEARCH|SCAN) ({'|'.join(BIG_TABLES)})\b", s.strip())
            and "COVERING INDEX" not in s]


def assert_first_page_from_an_index(rows):
    for statement, plan in rows:
        assert not full_scans(plan), (statement, plan)
        assert not sorts(plan), (statement, plan)


def assert_counted_from_indexes(counts):
    for statement, plan in counts:
        assert not full_scans(plan), (statement, plan)
        assert not uncovered(plan), (statement, plan)


def test_the_plan_page_reads_its_first_page_in_appendix_order_from_an_index(large):
    rows, counts = task_statements(large, f"/?year={YEAR}&as_of={AS_OF}")
    assert_first_page_from_an_index(rows)
    assert_counted_from_indexes(counts)


def test_the_overdue_list_reads_its_first_page_from_an_index(large):
    rows, counts = task_statements(large, f"/?year={YEAR}&category=overdue&sort=overdue&as_of={AS_OF}")
    assert_first_page_from_an_index(rows)
    assert_counted_from_indexes(counts)


def test_the_deadline_sort_reads_its_first_page_from_an_index(large):
    rows, counts = task_statements(large, f"/api/v1/tasks?year={YEAR}&sort=deadline&as_of={AS_OF}")
    assert_first_page_from_an_index(rows)
    assert_counted_from_indexes(counts)


def test_a_section_is_listed_and_counted_from_its_index(large):
    rows, counts = task_statements(large, f"/api/v1/tasks?year={YEAR}&section=IV&as_of={AS_OF}")
    assert_first_page_from_an_index(rows)
    assert_counted_from_indexes(counts)


@pytest.mark.parametrize("sort", ["section", "deadline", "overdue"])
def test_the_api_task_list_reads_each_page_from_an_index_by_page_and_by_cursor(large, sort):
    category = "&category=overdue" if sort == "overdue" else ""
    path = f"/api/v1/tasks?year={YEAR}&sort={sort}{category}&as_of={AS_OF}&per_page=50"
    rows, counts = task_statements(large, path)
    assert_first_page_from_an_index(rows)
    assert_counted_from_indexes(counts)
    cursor = large[1].get(path).get_json()["next_after"]
    rows, _counts = task_statements(large, f"{path}&after={cursor}")
    assert_first_page_from_an_index(rows)


def _dinh_lap(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Agency.id).where(Agency.name == "UBND huyện Đình Lập"))


def test_the_agency_page_counts_its_executing_tasks_from_its_own_lines(large):
    """The executing sheet joins the agency's lines (an inner join), never every task of the plan; each sheet's
    first rows either walk the plan's order or sort only the agency's own rows, read by agency from an index."""
    rows, counts = task_statements(large, f"/agencies/{_dinh_lap(large[0])}?year={YEAR}&as_of={AS_OF}")
    executing = [(s, p) for s, p in counts if "JOIN status_line AS own_line" in s]
    assert executing and all("LEFT OUTER JOIN" not in s for s, _p in executing)
    assert_counted_from_indexes(counts)  # the executing, lead and coordinating counts
    for statement, plan in rows:
        if not on_postgresql():  # see test_the_plan_page_filtered_by_an_agency_reads_no_table_whole
            assert not full_scans(plan), (statement, plan)
        if sorts(plan):
            by_agency = r"ix_status_line_agency_task|ix_assignment_agency_role_task"
            assert any(re.search(by_agency, step) for step in plan), (statement, plan)


def test_the_plan_page_filtered_by_an_agency_reads_no_table_whole(large):
    """Counts start from the agency's index on both databases. The rows too on SQLite; PostgreSQL, with a tenth
    of this plan to sort, may read the plan's 1,500 tasks whole and hash them with the agency's rows (cheaper at
    this size; at 50,000 tasks it merges or walks indexes), so their plans are pinned on SQLite only."""
    for path in (f"/?year={YEAR}&agency={_dinh_lap(large[0])}&as_of={AS_OF}",
                 f"/?year={YEAR}&agency={_dinh_lap(large[0])}&role=executing&as_of={AS_OF}"):
        rows, counts = task_statements(large, path)
        for statement, plan in counts + ([] if on_postgresql() else rows):
            assert not full_scans(plan), (path, statement, plan)
