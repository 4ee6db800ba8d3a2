"""A task's history reads every entry; one it cannot read (written by another tool) is shown as such, never a 500."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from bench.synthetic import seed_synthetic
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.progress.models import TaskEvent


def _task(code: str) -> Task:
    return db.session.scalar(sa.select(Task).where(Task.code == code).order_by(Task.id))


def test_a_completion_date_encoded_twice_is_shown_as_unreadable_not_a_500(seeded, reader, caplog):
    with seeded.app_context():
        task = _task("II.1")
        db.session.execute(sa.insert(TaskEvent.__table__), [
            {"task_id": task.id, "kind": "completed_on", "before": None, "after": '"2021-05-02"', "reason": ""},
            {"task_id": task.id, "kind": "completed_on", "before": None, "after": "2021-06-30", "reason": ""}])
        db.session.commit()
    response = reader.get("/tasks/II.1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "không đọc được" in page and "2021-05-02" in page
    assert "30/06/2021" in page  # the readable entry beside it still reads as a date
    assert any("cannot read" in record.getMessage() for record in caplog.records)


def test_the_benchmark_writes_history_as_the_app_does(app):
    with app.app_context():
        seed_synthetic(60, 2021, date(2021, 12, 20))
        db.session.commit()
        entries = db.session.scalars(sa.select(TaskEvent).where(TaskEvent.kind.in_(["status", "completed_on"]))).all()
        assert {e.kind for e in entries} == {"status", "completed_on"}
        for entry in entries:
            assert "không đọc được" not in entry.after_text, entry.after
        assert all(isinstance(e.after, str) and not e.after.startswith('"') for e in entries)
