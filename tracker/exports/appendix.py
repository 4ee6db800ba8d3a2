"""The appendix as the XLSX prints it: one block per task, a group of bodies ("UBND các huyện") in one row.

A task named for a group has a line per member (eleven for the districts); printed one per row, the
2021 appendix ran to 242 rows. Here each executing group the task names becomes one summary row (its
counts by category and by status, and who is behind), and a body named on its own keeps its own row.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..plan.models import Agency, Assignment, Plan, Task, agency_members
from ..progress.categories import CATEGORIES
from ..progress.listing import directory
from ..progress.models import STATUSES
from .quarterly import AppendixRow, category_label, status_label

NEEDS_DATE = "Cần xác định hạn"  # the words the plan page's badge uses for a timeline without a date
DONE = ("done_on_time", "done_late")


@dataclass
class Group:
    """An executing group a task names, with its members' names."""

    name: str
    members: frozenset[str]


@dataclass
class TaskFacts:
    """What the appendix rows do not carry: which tasks need a date, which groups each task names."""

    needs_date: set[str] = field(default_factory=set)
    groups: dict[str, list[Group]] = field(default_factory=dict)  # task code -> its executing groups, in order
    short: dict[str, str] = field(default_factory=dict)  # a body's name -> what tables show ("Sở KH&ĐT")


def task_facts(plan: Plan) -> TaskFacts:
    """The plan's tasks that need a date and their executing groups: three queries whatever the plan's size."""
    facts = TaskFacts()
    facts.needs_date = set(db.session.scalars(
        sa.select(Task.code).where(Task.plan_id == plan.id, Task.needs_date.is_(True))))
    named = db.session.execute(
        sa.select(Task.code, Agency.id, Agency.name).join(Assignment, Assignment.task_id == Task.id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(Task.plan_id == plan.id, Assignment.role == "executing", Agency.level == "group")
        .order_by(Task.position, Assignment.id)).all()
    ids = {agency_id for _, agency_id, _ in named}
    members: dict[int, set[str]] = {agency_id: set() for agency_id in ids}
    if ids:
        for group_id, name in db.session.execute(
                sa.select(agency_members.c.group_id, Agency.name).join(Agency, Agency.id == agency_members.c.member_id)
                .where(agency_members.c.group_id.in_(ids))):
            members[group_id].add(name)
    for code, agency_id, name in named:
        facts.groups.setdefault(code, []).append(Group(name, frozenset(members[agency_id])))
    facts.short = {ref.name: ref.short_name for ref in directory().refs.values()}
    return facts


@dataclass
class BodyRow:
    """The right-hand cells of one printed row: one body's line, or a group's summary."""

    agency: str = ""
    situation: str = ""  # the line's category, or the group's counts by category
    status: str = ""
    progress: int | None = None
    completed_on: date | None = None
    note: str = ""
    overdue: bool = False  # the line (or a member of the group) is overdue: printed in red
    group: bool = False


def body_rows(lines: list[AppendixRow], groups: list[Group], short: dict[str, str] | None = None) -> list[BodyRow]:
    """A task's printed rows: each body named alone as it is, each executing group summarised where its first
    member stood. A task without a line gets one empty row."""
    placed: dict[str, list[AppendixRow]] = {}
    order: list[AppendixRow | str] = []
    for line in lines:
        if not line.agency:
            continue
        group = next((g for g in groups if line.agency in g.members), None)
        if group is None:
            order.append(line)
            continue
        if group.name not in placed:
            placed[group.name] = []
            order.append(group.name)
        placed[group.name].append(line)
    rows = []
    for item in order:
        if isinstance(item, str):
            rows.append(group_row(item, placed[item], short or {}))
        else:
            rows.append(BodyRow(item.agency, category_label(item.line_category), status_label(item.status),
                                item.progress, item.completed_on, item.note or "",
                                overdue=item.line_category == "overdue"))
    return rows or [BodyRow()]


def group_row(name: str, lines: list[AppendixRow], short: dict[str, str]) -> BodyRow:
    """One row for a group's lines: how many stand in each category and status, and the names of those behind."""
    categories = Counter(line.line_category for line in lines)
    statuses = Counter(line.status for line in lines)
    done = all(line.line_category in DONE for line in lines)
    progress = [line.progress for line in lines if line.progress is not None]
    overdue = [short.get(line.agency, line.agency) for line in lines if line.line_category == "overdue"]
    waiting = [short.get(line.agency, line.agency) for line in lines if line.line_category == "not_started"
               or (line.line_category == "ongoing" and line.status == "not_started")]
    return BodyRow(
        agency=f"{name} ({len(lines)} cơ quan)",
        situation="\n".join(f"{category_label(c)}: {categories[c]}" for c in CATEGORIES if categories[c]),
        status="\n".join(f"{status_label(s)}: {statuses[s]}" for s in STATUSES if statuses[s]),
        progress=round(sum(progress) / len(progress)) if progress else None,
        completed_on=max((line.completed_on for line in lines if line.completed_on), default=None) if done else None,
        note=behind(overdue, waiting, len(lines)),
        overdue=bool(overdue), group=True)


def behind(overdue: list[str], waiting: list[str], total: int) -> str:
    """"Quá hạn: …; Chưa thực hiện: …": who a group summary names, shortened by what all its members share."""
    parts = []
    for label, names in (("Quá hạn", overdue), ("Chưa thực hiện", waiting)):
        if not names:
            continue
        if len(names) == total and total > 3:
            parts.append(f"{label}: cả {total} cơ quan.")
        else:
            parts.append(f"{label}: {', '.join(short_names(names))}.")
    return "\n".join(parts)


def short_names(names: list[str]) -> list[str]:
    """The names without the words they all begin with ("Huyện Bắc Sơn, Huyện Cao Lộc" → "Bắc Sơn, Cao Lộc")."""
    if len(names) < 2:
        return names
    words = [name.split(" ") for name in names]
    shared = 0
    while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    return [" ".join(w[shared:]) for w in words]
