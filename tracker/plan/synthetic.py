"""A synthetic plan of any size, for benchmarks: realistic timelines, one line a task, an officer per body."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from ..auth.models import User
from ..extensions import db
from ..progress.models import StatusLine
from ..text import fold
from .models import Agency, Assignment, Plan, Section, Task
from .services import load_agencies
from .timeline import parse_timeline

TIMELINES = ["Quý I", "Quý II", "Quý I, II", "Tháng 3-10", "Thường xuyên", "Hàng quý", "Quý III", "Quý IV",
             "Tháng 5-11", "Định kỳ và đột xuất", "Theo kế hoạch đã được phê duyệt"]
NUMERALS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
CHUNK = 5000


def seed_synthetic(count: int, year: int) -> str:
    """Create (or replace) the synthetic plan of the year with count tasks."""
    if db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0:
        load_agencies(Path(current_app.root_path).parent / "seeds" / "agencies.csv")
    existing = db.session.scalar(sa.select(Plan).where(Plan.year == year))
    if existing is not None:
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
    lead = db.session.scalar(sa.select(Agency).where(Agency.name == "Ban Chỉ đạo các Chương trình MTQG tỉnh"))
    schedules = {t: parse_timeline(t, year) for t in TIMELINES}
    _accounts(bodies)
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, count)):
            section = sections[i % len(sections)]
            timeline = TIMELINES[i % len(TIMELINES)]
            schedule = schedules[timeline]
            code = f"{section.numeral}.{i // len(sections) + 1}"
            title = f"Công việc thử tải số {i + 1}"
            rows.append({"plan_id": plan.id, "section_id": section.id, "code": code, "position": i, "title": title,
                         "lead_text": "BCĐ tỉnh", "executing_text": bodies[i % len(bodies)].name,
                         "coordinating_text": "", "timeline": timeline, "schedule_kind": schedule.kind,
                         "start_on": schedule.start, "due_on": schedule.due, "recurrence": schedule.recurrence,
                         "needs_date": schedule.needs_date, "flag_note": "",
                         "search_text": fold(f"{code} {title} {bodies[i % len(bodies)].name}")})
        ids = db.session.scalars(sa.insert(Task).returning(Task.id, sort_by_parameter_order=True), rows).all()
        executing = [bodies[i % len(bodies)].id for i in range(start, start + len(ids))]
        db.session.execute(sa.insert(Assignment), [
            *({"task_id": t, "agency_id": lead.id, "role": "lead"} for t in ids),
            *({"task_id": t, "agency_id": a, "role": "executing"} for t, a in zip(ids, executing)),
        ])
        db.session.execute(sa.insert(StatusLine), [
            {"task_id": t, "agency_id": a, "status": "not_started", "progress": 0, "version": 1, "note": "",
             "paused_reason": ""} for t, a in zip(ids, executing)])
    db.session.flush()
    return f"Kế hoạch {year}: {count} công việc, {count} dòng tiến độ, {len(bodies)} cơ quan thực hiện."


def _accounts(bodies: list[Agency]) -> None:
    """One officer a body and one office account, all sharing one unusable password hash."""
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
