"""The daily sweep builds on the last one: it looks only at what changed and at the thresholds today
crosses, and still decides exactly what a sweep looking at everything would."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from conftest import reset_to_seeded
from helpers import user_of as user
from test_reminders import at, configure, mark_done
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.progress.operations import assign, move_deadline
from tracker.reminders import planner
from tracker.reminders.jobs import statistics_job
from tracker.reminders.models import ReminderOptOut, SentReminder, SweepState
from tracker.reminders.sweep import prune_ledger, run_sweep


def sweep(app, day: date, from_scratch: bool = False):
    """The 07:00 sweep of a day; from_scratch forgets the last sweep first, so it looks at everything."""
    with app.app_context(), at(day, 7, 0):
        if from_scratch:
            db.session.execute(sa.delete(SweepState))
        result = run_sweep(day)
        db.session.commit()
        return result


def ledger(app) -> set[tuple]:
    """What was decided: (rule, subject, recipient, occurrence, day it may go)."""
    with app.app_context():
        return set(db.session.execute(sa.select(
            SentReminder.rule, SentReminder.subject_type, SentReminder.subject_id, SentReminder.recipient_id,
            SentReminder.occurrence, SentReminder.send_on)).all())


def a_quarter_with_changes(app, from_scratch: bool) -> list[int]:
    """Sweep 01/01–15/04/2021 day by day while people work: a line done, a deadline moved, a body named
    on a task, someone turning nudges off. Returns how many reminders each day decided."""
    configure(app, nudge_days=30)
    decided = []
    day = date(2021, 1, 1)
    while day <= date(2021, 4, 15):
        if day == date(2021, 3, 25):
            mark_done(app, "II.1", "Sở Tài chính", "taichinh@test.vn", day)
        if day == date(2021, 3, 2):
            with app.app_context(), at(day, 10):
                task = db.session.scalar(sa.select(Task).where(Task.code == "IV.1"))
                move_deadline(user("vpdp@test.vn"), task, date(2021, 3, 12), "Theo chỉ đạo của UBND tỉnh")
                assign(user("vpdp@test.vn"), task, "UBND huyện Đình Lập", "executing")
                db.session.commit()
        if day == date(2021, 2, 15):
            with app.app_context():
                db.session.add(ReminderOptOut(user_id=user("khdt@test.vn").id, rule="nudge"))
                db.session.commit()
        decided.append(sweep(app, day, from_scratch).queued)
        day += timedelta(days=1)
    return decided


def test_sweeps_that_build_on_the_last_decide_what_sweeps_from_scratch_do(seeded, seeded_template):
    built_on = a_quarter_with_changes(seeded, from_scratch=False)
    incremental = ledger(seeded)
    reset_to_seeded(seeded, seeded_template)
    from_scratch = a_quarter_with_changes(seeded, from_scratch=True)
    assert built_on == from_scratch
    assert incremental == ledger(seeded)
    rules = {row[0] for row in incremental}
    assert {"task_due_soon", "task_overdue", "nudge", "overdue_digest", "round_due_soon"} <= rules


def test_a_second_sweep_the_same_day_looks_at_no_task_and_no_line(seeded, monkeypatch):
    configure(seeded, nudge_days=30)
    looked = {"deadlines": 0, "lines": 0}
    deadline_reminder, nudge_due = planner._deadline_reminder, planner._NudgeClock.due

    def count_deadline(*args):
        looked["deadlines"] += 1
        return deadline_reminder(*args)

    def count_line(self, *args):
        looked["lines"] += 1
        return nudge_due(self, *args)

    monkeypatch.setattr(planner, "_deadline_reminder", count_deadline)
    monkeypatch.setattr(planner._NudgeClock, "due", count_line)
    first = sweep(seeded, date(2021, 3, 24))
    assert first.queued > 0 and not first.incremental
    assert looked["deadlines"] > 0 and looked["lines"] > 0
    looked.update(deadlines=0, lines=0)
    second = sweep(seeded, date(2021, 3, 24))
    assert second.incremental and second.queued == 0
    assert looked == {"deadlines": 0, "lines": 0}
    # The next day: only the tasks whose reminder changed, and the lines whose silence completed a period.
    third = sweep(seeded, date(2021, 3, 25))
    assert third.incremental
    with seeded.app_context():
        tasks = db.session.scalar(sa.select(sa.func.count(Task.id)))
    assert looked["deadlines"] < tasks


def test_changing_who_receives_what_makes_the_next_sweep_look_at_everything(seeded):
    configure(seeded, nudge_days=30)
    sweep(seeded, date(2021, 3, 24))
    assert sweep(seeded, date(2021, 3, 25)).incremental
    configure(seeded, nudge_days=20)
    assert not sweep(seeded, date(2021, 3, 26)).incremental
    with seeded.app_context():
        db.session.add(ReminderOptOut(user_id=user("taichinh@test.vn").id, rule="task_due_soon"))
        db.session.commit()
    assert not sweep(seeded, date(2021, 3, 27)).incremental
    assert sweep(seeded, date(2021, 3, 28)).incremental


def test_the_ledger_keeps_two_months_and_what_could_still_come_again(seeded):
    """Pruned rows are ones no later sweep can decide again: pruning sends nothing twice."""
    configure(seeded, nudge_days=30)
    day = date(2021, 1, 1)
    while day <= date(2021, 6, 30):
        sweep(seeded, day)
        day += timedelta(days=1)
    with seeded.app_context(), at(date(2021, 6, 30), 10, 30):
        before = db.session.scalar(sa.select(sa.func.count(SentReminder.id)))
        statistics_job()  # the nightly job prunes the ledger
        kept = db.session.execute(sa.select(SentReminder.decided_on, SentReminder.rule)).all()
        assert prune_ledger(date(2021, 6, 30)) == 0  # the job did it all
    assert 0 < before - len(kept) < before
    # Two months of decisions stay for the reminders page; older rows only where a sweep could decide them again.
    assert {rule for decided, rule in kept if decided < date(2021, 5, 1)} <= {"report_returned"}
    assert any(decided < date(2021, 5, 31) for decided, _ in kept)
    # A sweep from scratch after pruning decides nothing again: nothing goes out twice.
    assert sweep(seeded, date(2021, 6, 30), from_scratch=True).queued == 0
