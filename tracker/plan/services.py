"""Operations on the plan: load agencies, import an appendix, query tasks. They flush, never commit."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..text import fold, fold_key, nfc
from .appendix import Appendix
from .models import LEVEL_LABELS, ROLES, Agency, AgencyAlias, Assignment, Plan, Section, Task, agency_members, short_form
from .timeline import KINDS, parse_timeline


class AgencyFileError(ValueError):
    """The agencies file has a row that cannot be loaded."""


def alias_map() -> dict[str, str]:
    """Every known way to write an agency (folded key) mapped to its canonical name."""
    mapping = {fold_key(a.name): a.name for a in db.session.scalars(sa.select(Agency))}
    rows = db.session.execute(sa.select(AgencyAlias.key, Agency.name).join(AgencyAlias.agency))
    mapping.update({key: name for key, name in rows})
    return mapping


def find_agency(text: str) -> Agency | None:
    """The agency a name or alias ("VPĐP tỉnh", "Sở KH&ĐT") stands for, or None."""
    name = alias_map().get(fold_key(text))
    return db.session.scalar(sa.select(Agency).where(Agency.name == name)) if name else None


def add_alias(agency: Agency, alias: str) -> AgencyAlias | None:
    """Give an agency another name; None if it already has it. Refuses an alias of another agency."""
    alias = nfc(alias)
    key = fold_key(alias)
    if key == fold_key(agency.name):
        return None
    owner = db.session.scalar(sa.select(AgencyAlias).where(AgencyAlias.key == key))
    if owner is None:
        other = db.session.scalar(sa.select(Agency).where(Agency.name_folded == fold(alias)))
        if other is not None and other.id != agency.id:
            raise AgencyFileError(f"«{alias}» đã là tên của «{other.name}».")
        record = AgencyAlias(agency=agency, alias=alias, key=key)
        db.session.add(record)
        db.session.flush()
        return record
    if owner.agency_id != agency.id:
        raise AgencyFileError(f"«{alias}» đã là tên gọi khác của «{owner.agency.name}».")
    return None


def _split(cell: str | None) -> list[str]:
    return [nfc(part) for part in (cell or "").split("|") if nfc(part)]


def load_agencies(path: str | Path) -> int:
    """Create or update the agencies, aliases and group members listed in an agencies CSV."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_name: dict[str, Agency] = {a.name: a for a in db.session.scalars(sa.select(Agency))}
    for number, row in enumerate(rows, start=2):
        name, level = nfc(row.get("name")), nfc(row.get("level"))
        if not name or level not in LEVEL_LABELS:
            raise AgencyFileError(f"Dòng {number}: cần tên và cấp ({', '.join(LEVEL_LABELS)}).")
        agency = by_name.get(name)
        if agency is None:
            agency = Agency(name=name, name_folded=fold(name), level=level)
            db.session.add(agency)
            by_name[name] = agency
        agency.level, agency.note = level, nfc(row.get("note"))
    db.session.flush()
    for number, row in enumerate(rows, start=2):
        agency = by_name[nfc(row["name"])]
        for alias in _split(row.get("aliases")):
            add_alias(agency, alias)
        members = _members(_split(row.get("members")), by_name, number)
        if members or agency.is_group:
            agency.members = members
    db.session.flush()
    return len(rows)


def _members(tokens: list[str], by_name: dict[str, Agency], number: int) -> list[Agency]:
    """Resolve a members cell; "@district" stands for every agency of that level."""
    members: list[Agency] = []
    for token in tokens:
        if token.startswith("@"):
            found = sorted((a for a in by_name.values() if a.level == token[1:]), key=lambda a: a.sort_key)
        elif token in by_name:
            found = [by_name[token]]
        else:
            raise AgencyFileError(f"Dòng {number}: không có cơ quan «{token}» để làm thành viên.")
        members.extend(a for a in found if a not in members)
    return members


@dataclass
class PlanInfo:
    """A plan's header: what the document says about itself."""

    year: int
    title: str
    number: str = ""
    issuer: str = ""
    issued_on: date | None = None
    note: str = ""


@dataclass
class ImportSummary:
    """What an import changed."""

    plan: Plan
    tasks: list[Task] = field(default_factory=list)  # every task of the file, for the layers above
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)


def import_appendix(appendix: Appendix, info: PlanInfo) -> ImportSummary:
    """Create or update the plan of info.year from a validated appendix; idempotent.

    Tasks are matched by code, so importing the same file twice changes nothing, and a corrected
    file updates tasks in place without losing what hangs off them. The caller gives each task its
    lines (tracker.progress) and the year its rounds (tracker.reporting): see tracker/commands.py.
    """
    if not appendix.ok:
        raise ValueError("the appendix has problems; report them instead of importing")
    plan = db.session.scalar(sa.select(Plan).where(Plan.year == info.year))
    if plan is None:
        plan = Plan(year=info.year, title=info.title)
        db.session.add(plan)
    plan.title, plan.number, plan.issuer = info.title, info.number, info.issuer
    plan.issued_on, plan.note = info.issued_on, info.note
    db.session.flush()

    sections = {s.numeral: s for s in plan.sections}
    for position, row in enumerate(appendix.sections, start=1):
        section = sections.get(row.numeral)
        if section is None:
            section = sections[row.numeral] = Section(plan=plan, numeral=row.numeral, title=row.title,
                                                      position=position)
            db.session.add(section)
        section.title, section.position = row.title, position
    db.session.flush()

    agencies = {a.name: a for a in db.session.scalars(sa.select(Agency))}
    tasks = {t.code: t for t in db.session.scalars(
        sa.select(Task).where(Task.plan_id == plan.id).options(selectinload(Task.assignments)))}
    summary = ImportSummary(plan)
    for position, item in enumerate(appendix.items, start=1):
        task = tasks.get(item.code)
        created = task is None
        if created:
            task = Task(plan=plan, code=item.code)
            db.session.add(task)
        before = _snapshot(task)
        _fill_task(task, item, sections[item.section], position, info.year)
        _sync_assignments(task, item.agencies, agencies)
        db.session.flush()
        task.search_text = search_text(task, [agencies[n] for names in item.agencies.values() for n in names])
        summary.tasks.append(task)
        if created:
            summary.created.append(item.code)
        elif _snapshot(task) != before:
            summary.updated.append(item.code)
        else:
            summary.unchanged.append(item.code)
    summary.not_in_file = sorted(set(tasks) - {i.code for i in appendix.items})
    db.session.flush()
    return summary


def _snapshot(task: Task) -> tuple:
    columns = [c.key for c in Task.__table__.columns]
    return tuple(getattr(task, c) for c in columns) + tuple(
        sorted((a.agency_id or 0, a.role) for a in task.assignments))


def _fill_task(task: Task, item, section: Section, position: int, year: int) -> None:
    schedule = parse_timeline(item.timeline, year)
    task.section, task.position, task.title = section, position, item.title
    task.lead_text = item.cells["lead"]
    task.executing_text = item.cells["executing"]
    task.coordinating_text = item.cells["coordinating"]
    task.timeline, task.schedule_kind = item.timeline, schedule.kind
    task.start_on, task.due_on, task.recurrence = schedule.start, schedule.due, schedule.recurrence
    task.needs_date = schedule.needs_date
    task.flag_note = item.note


def _sync_assignments(task: Task, wanted: dict[str, list[str]], agencies: dict[str, Agency]) -> None:
    want = {(agencies[name].id, role) for role in ROLES for name in wanted.get(role, [])}
    for assignment in list(task.assignments):
        if (assignment.agency_id, assignment.role) not in want:
            task.assignments.remove(assignment)
    have = {(a.agency_id, a.role) for a in task.assignments}
    for role in ROLES:
        for name in wanted.get(role, []):
            if (agencies[name].id, role) not in have:
                task.assignments.append(Assignment(agency=agencies[name], agency_id=agencies[name].id, role=role))


def search_text(task: Task, agencies: list[Agency]) -> str:
    """The folded text a search matches: code, title, cells, and every body the task names."""
    names = {body.name for agency in agencies for body in [agency, *agency.bodies()]}
    parts = [task.code, task.title, task.lead_text, task.executing_text, task.coordinating_text,
             task.timeline, *sorted(names)]
    return fold(" | ".join(parts))


@dataclass
class TaskFilter:
    """The plan page's and the API's filters, already checked."""

    section: str | None = None
    agency: Agency | None = None
    role: str | None = None
    kind: str | None = None
    q: str = ""

    def key(self) -> tuple:
        """The filters as plain values, for keeping what they select."""
        return self.section, self.agency.id if self.agency else None, self.role, self.kind, self.q


def task_conditions(plan: Plan, filters: TaskFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses that pick the plan's tasks matching the filters (categories aside)."""
    conditions: list[sa.ColumnElement[bool]] = [Task.plan_id == plan.id]
    if filters.section:
        conditions.append(Task.section_id == sa.select(Section.id).where(
            Section.plan_id == plan.id, Section.numeral == filters.section).scalar_subquery())
    if filters.kind in KINDS:
        conditions.append(Task.schedule_kind == filters.kind)
    elif filters.kind == "needs_date":  # the one flag every page, list and export shows
        conditions.append(Task.needs_date.is_(True))
    if filters.agency is not None:
        # An agency is named directly or through a group it belongs to.
        ids = [filters.agency.id, *(g.id for g in filters.agency.groups)]
        named = sa.select(Assignment.task_id).where(Assignment.agency_id.in_(ids))
        if filters.role in ROLES:
            named = named.where(Assignment.role == filters.role)
        conditions.append(Task.id.in_(named))
    elif filters.role in ROLES:
        conditions.append(Task.id.in_(sa.select(Assignment.task_id).where(Assignment.role == filters.role)))
    for word in fold(filters.q).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Task.search_text.like(f"%{escaped}%", escape="\\"))
    return conditions


LEVEL_ORDER = {level: position for position, level in enumerate(LEVEL_LABELS)}


@dataclass(frozen=True)
class AgencyRef:
    """What a list shows of an agency: a plain record, read once per request for every agency."""

    id: int
    name: str
    short_name: str
    level: str
    sort_key: str
    member_ids: tuple[int, ...] = ()

    @property
    def is_group(self) -> bool:
        """True for a group cell such as "UBND các huyện"."""
        return self.level == "group"

    @property
    def member_count(self) -> int:
        """How many bodies a group holds."""
        return len(self.member_ids)


class AgencyDirectory:
    """Every agency with its short name and members, in three queries whatever a page shows.

    A province names a few dozen bodies; reading them all once is cheaper than one query per row.
    """

    def __init__(self, refs: dict[int, AgencyRef]):
        self.refs = refs

    @classmethod
    def load(cls) -> AgencyDirectory:
        """Read every agency, its first alias and its members (in Vietnamese order)."""
        first_alias: dict[int, str] = {}
        for agency_id, alias in db.session.execute(
                sa.select(AgencyAlias.agency_id, AgencyAlias.alias).order_by(AgencyAlias.id)):
            first_alias.setdefault(agency_id, alias)
        members: dict[int, list[int]] = {}
        for group_id, member_id in db.session.execute(
                sa.select(agency_members.c.group_id, agency_members.c.member_id)
                .join(Agency, Agency.id == agency_members.c.member_id).order_by(Agency.sort_key)):
            members.setdefault(group_id, []).append(member_id)
        refs = {}
        for agency_id, name, level, key in db.session.execute(
                sa.select(Agency.id, Agency.name, Agency.level, Agency.sort_key)):
            alias = first_alias.get(agency_id)
            refs[agency_id] = AgencyRef(agency_id, name, short_form(name, alias), level,
                                        key, tuple(members.get(agency_id, ())))
        return cls(refs)

    def for_choosing(self) -> list[AgencyRef]:
        """Every agency as a filter lists them: bodies by level (province, departments, districts…), then
        groups, each in Vietnamese alphabetical order."""
        return sorted(self.refs.values(), key=lambda a: (LEVEL_ORDER.get(a.level, len(LEVEL_ORDER)), a.sort_key))

    def __getitem__(self, agency_id: int) -> AgencyRef:
        return self.refs[agency_id]

    def bodies(self, agencies: list[AgencyRef]) -> list[AgencyRef]:
        """The individual bodies the agencies stand for, groups expanded, each once, in order."""
        seen: dict[int, AgencyRef] = {}
        for agency in agencies:
            for body_id in agency.member_ids if agency.is_group else (agency.id,):
                seen.setdefault(body_id, self.refs[body_id])
        return list(seen.values())


def current_plan(year: int | None = None) -> Plan | None:
    """The plan of the given year, or the latest one."""
    query = sa.select(Plan)
    query = query.where(Plan.year == year) if year else query.order_by(Plan.year.desc())
    return db.session.scalars(query.limit(1)).first()
