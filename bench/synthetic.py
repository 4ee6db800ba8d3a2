"""A synthetic plan of any size, for benchmarks and scale tests: realistic timelines, bodies and history.

    python bench/synthetic.py --database sqlite:///bench.sqlite --tasks 50000 --year 2026 --as-of 2026-06-24


Most items are owed by one department or district, some by "UBND các huyện" (a line per district);
some name a coordinating body. Each line's state is drawn as a province's would stand on `as_of`:
past their deadline most bodies are done (some late), some still at work, some never started;
before it, fewer are done. Every updated line carries its history. Deterministic for a given seed.
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from tracker.auth.models import User
from tracker.extensions import db
from tracker.maintenance import refresh_statistics
from tracker.plan.models import Agency, Assignment, Plan, Section, Task
from tracker.plan.services import load_agencies
from tracker.plan.timeline import parse_timeline
from tracker.progress.categories import deadline_of
from tracker.progress.category_sql import refresh_rollups
from tracker.progress.models import StatusLine, TaskEvent
from tracker.text import fold

TIMELINES = ["Quý I", "Quý II", "Quý I, II", "Tháng 3-10", "Thường xuyên", "Hàng quý", "Quý III", "Quý IV",
             "Tháng 5-11", "Định kỳ và đột xuất", "Theo kế hoạch đã được phê duyệt"]
NUMERALS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
CHUNK = 5000
GROUP_SHARE = 0.07  # items owed by every district
COORDINATING_SHARE = 0.3
NOTES = ["Đã ban hành kế hoạch triển khai", "Đang tổng hợp số liệu", "Đã tổ chức hội nghị", "Đang chờ phân bổ vốn",
         "Đã báo cáo UBND tỉnh", "Đang khảo sát thực tế"]


def seed_synthetic(count: int, year: int, as_of: date | None = None, seed: int = 2021) -> str:
    """Create the synthetic plan of the year with count tasks, its lines standing as on as_of."""
    as_of = as_of or date(year, 6, 24)
    if db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0:
        load_agencies(Path(current_app.root_path).parent / "seeds" / "agencies.csv")
    if db.session.scalar(sa.select(Plan).where(Plan.year == year)) is not None:
        raise ValueError(f"a plan for {year} exists already; use another --year or a fresh database")
    plan = Plan(year=year, title=f"Kế hoạch thử tải {count} công việc năm {year}", number="", issuer="")
    db.session.add(plan)
    db.session.flush()
    sections = [Section(plan_id=plan.id, numeral=n, title=f"Nhóm việc {n}", position=i + 1)
                for i, n in enumerate(NUMERALS)]
    db.session.add_all(sections)
    db.session.flush()
    bodies = list(db.session.scalars(sa.select(Agency).where(Agency.level.in_(["department", "district"]))
                                     .order_by(Agency.id)))
    districts = [a for a in bodies if a.level == "district"]
    group = db.session.scalar(sa.select(Agency).where(Agency.name == "UBND các huyện, thành phố"))
    lead = db.session.scalar(sa.select(Agency).where(Agency.name == "Ban Chỉ đạo các Chương trình MTQG tỉnh"))
    users = _accounts(bodies)
    per_section = -(-count // len(sections))
    lines = events = 0
    for start in range(0, count, CHUNK):
        # A generator per item: the first items of a small and of a large plan are the same tasks.
        items = [_item(i, per_section, sections, bodies, random.Random(seed * 1_000_003 + i), year)
                 for i in range(start, min(start + CHUNK, count))]
        connection = db.session.connection()
        # Core inserts in batches; ids are read back by each row's unique key (portable, and far faster
        # than asking for RETURNING in parameter order).
        connection.execute(sa.insert(Task.__table__), [item["task"] for item in items])
        by_code = dict(connection.execute(sa.select(Task.code, Task.id).where(
            Task.plan_id == plan.id, Task.code.in_([item["task"]["code"] for item in items]))).all())
        ids = [by_code[item["task"]["code"]] for item in items]
        assignments, line_rows = [], []
        for task_id, item in zip(ids, items):
            assignments.append({"task_id": task_id, "agency_id": lead.id, "role": "lead"})
            owners = districts if item["grouped"] else [item["body"]]
            assignments.append({"task_id": task_id, "agency_id": group.id if item["grouped"] else item["body"].id,
                                "role": "executing"})
            if item["coordinating"] is not None:
                assignments.append({"task_id": task_id, "agency_id": item["coordinating"].id, "role": "coordinating"})
            for body in owners:
                line_rows.append(_line(task_id, body, item, as_of, item["rng"], users))
        connection.execute(sa.insert(Assignment.__table__), assignments)
        connection.execute(sa.insert(StatusLine.__table__), [row for row, _ in line_rows])
        line_id = {(t, a): i for i, t, a in connection.execute(sa.select(
            StatusLine.id, StatusLine.task_id, StatusLine.agency_id).where(StatusLine.task_id.in_(ids)))}
        history = [dict(event, line_id=line_id[row["task_id"], row["agency_id"]])
                   for row, line_events in line_rows for event in line_events]
        if history:
            connection.execute(sa.insert(TaskEvent.__table__), history)
        lines += len(line_rows)
        events += len(history)
    refresh_rollups(db.session.connection(), Task.__table__.c.plan_id == plan.id)
    db.session.flush()
    return (f"Kế hoạch {year}: {count} công việc, {lines} dòng tiến độ, {events} mục lịch sử, "
            f"{len(bodies)} cơ quan thực hiện; tình hình tính đến {as_of:%d/%m/%Y}.")


def _item(i: int, per_section: int, sections: list[Section], bodies: list[Agency], rng: random.Random,
          year: int) -> dict:
    """One task row, section by section so that position is the appendix's order."""
    section = sections[i // per_section]
    timeline = TIMELINES[i % len(TIMELINES)]
    schedule = parse_timeline(timeline, year)
    code = f"{section.numeral}.{i % per_section + 1}"
    title = f"Công việc thử tải số {i + 1}"
    body = bodies[i % len(bodies)]
    grouped = rng.random() < GROUP_SHARE
    coordinating = rng.choice(bodies) if rng.random() < COORDINATING_SHARE else None
    executing = "UBND các huyện" if grouped else body.name
    return {
        "task": {"plan_id": section.plan_id, "section_id": section.id, "code": code, "position": i, "title": title,
                 "lead_text": "BCĐ tỉnh", "executing_text": executing,
                 "coordinating_text": coordinating.name if coordinating else "", "timeline": timeline,
                 "schedule_kind": schedule.kind, "start_on": schedule.start, "due_on": schedule.due,
                 "recurrence": schedule.recurrence, "needs_date": schedule.needs_date, "flag_note": "",
                 "search_text": fold(f"{code} {title} {executing}")},
        "grouped": grouped, "body": body, "coordinating": coordinating, "rng": rng,
        "deadline": deadline_of(schedule.kind, schedule.due),
        "start": schedule.start or date(year, 1, 1),
    }


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _line(task_id: int, body: Agency, item: dict, as_of: date, rng: random.Random,
          users: dict[int, int]) -> tuple[dict, list[dict]]:
    """A line as it would stand on as_of, and the history that led there."""
    deadline, start = item["deadline"], min(item["start"], as_of)
    roll = rng.random()
    if deadline is not None and deadline < as_of:
        status = "done" if roll < 0.55 else "in_progress" if roll < 0.75 else "paused" if roll < 0.8 else "not_started"
    else:
        status = "done" if roll < 0.15 else "in_progress" if roll < 0.6 else "paused" if roll < 0.65 else "not_started"
    row = {"task_id": task_id, "agency_id": body.id, "status": status, "progress": 0, "version": 1, "note": "",
           "paused_reason": "", "started_on": None, "completed_on": None, "updated_at": None, "updated_by_id": None}
    if status == "not_started":
        return row, []
    started = _between(rng, start, as_of)
    completed = None
    if status == "done":
        # Past the deadline, three in ten finished late; the rest by the deadline.
        late = deadline is not None and deadline < as_of and rng.random() < 0.3
        first, last = (deadline + timedelta(days=1), as_of) if late else (started, min(as_of, deadline or as_of))
        completed = _between(rng, min(first, last), last)
        started = min(started, completed)
    updated = completed or _between(rng, started, as_of)
    user = users.get(body.id)
    at = datetime.combine(updated, time(2, 30))  # 09:30 in Việt Nam, stored as naive UTC
    progress = 100 if status == "done" else rng.randint(10, 90)
    row.update(status=status, progress=progress, note=rng.choice(NOTES), started_on=started, completed_on=completed,
               updated_at=at, updated_by_id=user, version=2 if completed else 1,
               paused_reason="Chờ bố trí kinh phí" if status == "paused" else "")
    base = {"task_id": task_id, "agency_id": body.id, "user_id": user, "at": at, "reason": ""}
    # Plain values, as the app writes them: the JSON columns encode them (text already encoded would be twice).
    events = [dict(base, kind="status", before="not_started", after=status),
              dict(base, kind="progress", before=0, after=progress)]
    if completed:
        events.append(dict(base, kind="completed_on", before=None, after=completed.isoformat()))
    return row, events


def _accounts(bodies: list[Agency]) -> dict[int, int]:
    """One officer a body and one office account, all sharing one unusable password hash; user id by agency."""
    hashed = generate_password_hash("synthetic-" + str(id(bodies)), method="pbkdf2:sha256:1000")
    have = set(db.session.scalars(sa.select(User.email)))
    office = db.session.scalar(sa.select(Agency).where(Agency.name.like("Văn phòng Điều phối%")))
    rows = [{"email": f"synthetic-{a.id}@synthetic.invalid", "name": "", "agency_id": a.id, "role": "officer",
             "password_hash": hashed} for a in bodies]
    rows.append({"email": "synthetic-office@synthetic.invalid", "name": "", "agency_id": office.id, "role": "office",
                 "password_hash": hashed})
    rows = [r for r in rows if r["email"] not in have]
    if rows:
        db.session.execute(sa.insert(User), rows)
    found = db.session.execute(sa.select(User.agency_id, User.id).where(User.email.like("synthetic-%@synthetic.invalid"),
                                                                        User.role == "officer"))
    return dict(found.all())


def main() -> None:
    """Seed a synthetic plan into a migrated database, then let the database measure it."""
    from tracker import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--tasks", type=int, required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, help="the day the lines' history stands at")
    parser.add_argument("--seed", type=int, default=2021, help="the same seed, the same plan")
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database, "SECRET_KEY": "synthetic"})
    with app.app_context():
        try:
            summary = seed_synthetic(args.tasks, args.year, args.as_of, args.seed)
        except ValueError as exc:
            raise SystemExit(str(exc)) from exc
        db.session.commit()
        refresh_statistics()
        db.session.commit()
        db.engine.dispose()
    print(summary)


if __name__ == "__main__":
    main()
