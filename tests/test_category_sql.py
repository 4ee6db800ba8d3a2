"""The SQL categories agree with the Python specification (categories.py) on any lines, deadline and date.

Each example writes a task and its lines through the ORM, so the flush hook aggregates the task's line
facts exactly as in production, then asks the database for every category and predicate.
"""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import make_app
from tracker.extensions import db
from tracker.plan.models import Agency, Plan, Section, Task
from tracker.plan.timeline import KINDS
from tracker.progress.categories import CATEGORIES, LineFacts, deadline_of, line_category, task_category
from tracker.progress.category_sql import line_category as line_category_sql
from tracker.progress.category_sql import refresh_rollups, task_category as task_category_sql, task_in_category
from tracker.progress.models import STATUSES, StatusLine

START = date(2021, 1, 1)
# A narrow window makes starts, completions, deadlines and as-of dates fall on and around each other.
days = st.integers(min_value=0, max_value=40).map(lambda n: START + timedelta(days=n))
line_facts = st.builds(LineFacts, status=st.sampled_from(STATUSES), started_on=st.none() | days,
                       completed_on=st.none() | days)
# Four times the profile's examples: cheap, and the rule every list stands on.
EXAMPLES = settings(max_examples=4 * settings.default.max_examples)
HOOK_EXAMPLES = settings(max_examples=2 * settings.default.max_examples)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An app with one plan, one section and a dozen bodies, reused by every example (each rolls back)."""
    app = make_app(tmp_path_factory.mktemp("categories"))
    with app.app_context():
        plan = Plan(year=2021, title="Kế hoạch")
        section = Section(plan=plan, numeral="I", title="Mục", position=1)
        bodies = [Agency(name=f"Cơ quan {i}", level="department") for i in range(12)]
        db.session.add_all([plan, section, *bodies])
        db.session.commit()
        ids = {"plan": plan.id, "section": section.id, "bodies": [b.id for b in bodies]}
    yield app, ids
    with app.app_context():
        db.engine.dispose()


def _write(ids, kind, due, lines) -> Task:
    task = Task(plan_id=ids["plan"], section_id=ids["section"], code="I.1", position=1, title="Việc",
                schedule_kind=kind, due_on=due)
    db.session.add(task)
    db.session.flush()
    for agency_id, facts in zip(ids["bodies"], lines):
        db.session.add(StatusLine(task_id=task.id, agency_id=agency_id, status=facts.status,
                                  started_on=facts.started_on, completed_on=facts.completed_on))
    db.session.flush()  # the hook aggregates the lines into the task's facts here
    return task


@EXAMPLES
@given(kind=st.sampled_from(KINDS), due=st.none() | days, lines=st.lists(line_facts, max_size=12), as_of=days)
# Rare by chance, so stated: a body done before the start it recorded has started by its completion.
@example(kind="quarter", due=date(2021, 1, 30), as_of=date(2021, 1, 15),
         lines=[LineFacts("done", date(2021, 1, 20), date(2021, 1, 10)), LineFacts("not_started", None, None)])
# Marked started without a date: started on any date.
@example(kind="month", due=date(2021, 1, 30), as_of=date(2021, 1, 2),
         lines=[LineFacts("paused", None, None), LineFacts("not_started", None, None)])
def test_sql_categories_agree_with_the_specification(world, kind, due, lines, as_of):
    app, ids = world
    deadline = deadline_of(kind, due)
    with app.app_context():
        try:
            task = _write(ids, kind, due, lines)
            expected = task_category(lines, deadline, as_of)
            assert db.session.scalar(sa.select(task_category_sql(as_of)).where(Task.id == task.id)) == expected
            for category in CATEGORIES:
                matched = db.session.scalar(sa.select(sa.func.count()).select_from(Task)
                                            .where(Task.id == task.id, task_in_category(category, as_of)))
                assert matched == (category == expected), category
            found = db.session.execute(sa.select(StatusLine.agency_id, line_category_sql(as_of))
                                       .join(StatusLine.task).where(Task.id == task.id)
                                       .order_by(StatusLine.agency_id)).all()
            assert [c for _, c in found] == [line_category(f, deadline, as_of) for f in lines]
        finally:
            db.session.rollback()


@HOOK_EXAMPLES
@given(lines=st.lists(line_facts, min_size=1, max_size=6), changes=st.lists(
    st.tuples(st.integers(min_value=0, max_value=5), line_facts), min_size=1, max_size=5))
def test_facts_kept_by_the_flush_hook_equal_a_fresh_aggregate(world, lines, changes):
    app, ids = world
    with app.app_context():
        try:
            task = _write(ids, "quarter", date(2021, 3, 31), lines)
            stored = list(db.session.scalars(sa.select(StatusLine).where(StatusLine.task_id == task.id)
                                             .order_by(StatusLine.id)))
            for index, facts in changes:
                line = stored[index % len(stored)]
                line.status, line.started_on, line.completed_on = facts.status, facts.started_on, facts.completed_on
                db.session.flush()
            if len(stored) > 1:  # a line deleted outright, and one dropped from the task (an orphan)
                db.session.delete(stored[-1])
                db.session.flush()
            if len(stored) > 2:
                task.lines.remove(stored[0])
                db.session.flush()
            kept = db.session.execute(sa.select(Task.lines_done_on, Task.lines_started_on)
                                      .where(Task.id == task.id)).one()
            refresh_rollups(db.session.connection(), Task.__table__.c.id == task.id)
            fresh = db.session.execute(sa.select(Task.lines_done_on, Task.lines_started_on)
                                       .where(Task.id == task.id)).one()
            assert tuple(kept) == tuple(fresh)
            db.session.refresh(task)
            assert (task.lines_done_on, task.lines_started_on) == tuple(fresh)  # loaded objects see the new facts
        finally:
            db.session.rollback()


def test_unknown_category_is_refused():
    with pytest.raises(ValueError):
        task_in_category("late", date(2021, 4, 1))
