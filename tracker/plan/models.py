"""The plan's appendix: plans, sections, tasks, agencies (and groups of them), assignments."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..i18n import N_
from ..extensions import db, enum_column, vocabulary
from ..text import fold, sort_key
from .timeline import KIND_LABELS, NO_DEADLINE_KINDS

if TYPE_CHECKING:  # progress builds on the plan: named here by string, never imported at run time
    from ..progress.models import StatusLine

LEVEL_LABELS = {
    "province": N_("Cấp tỉnh"),
    "department": N_("Sở, ngành"),
    "district": N_("Cấp huyện"),
    "commune": N_("Cấp xã"),
    "other": N_("Khác"),
    "group": N_("Nhóm cơ quan"),
}
ROLE_LABELS = {"lead": N_("Chỉ đạo"), "executing": N_("Cơ quan thực hiện"), "coordinating": N_("Cơ quan phối hợp")}
ROLES = tuple(ROLE_LABELS)
Level = vocabulary("Level", LEVEL_LABELS)
Role = vocabulary("Role", ROLE_LABELS)
ScheduleKind = vocabulary("ScheduleKind", KIND_LABELS)

agency_members = sa.Table(
    "agency_member",
    db.metadata,
    sa.Column("group_id", sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class Plan(db.Model):
    """One year's implementation plan, as issued."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    number: Mapped[str] = mapped_column(sa.String(100), default="")
    issuer: Mapped[str] = mapped_column(sa.String(200), default="")
    issued_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")

    sections: Mapped[list[Section]] = relationship(
        back_populates="plan", order_by="Section.position", cascade="all, delete-orphan"
    )


class Section(db.Model):
    """A roman-numbered section of the appendix (I–XII)."""

    __table_args__ = (sa.UniqueConstraint("plan_id", "numeral"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    numeral: Mapped[str] = mapped_column(sa.String(10))
    title: Mapped[str] = mapped_column(sa.String(500))
    position: Mapped[int]

    plan: Mapped[Plan] = relationship(back_populates="sections")
    tasks: Mapped[list[Task]] = relationship(back_populates="section", order_by="Task.position")


class Agency(db.Model):
    """A body named by the plan, or a group of bodies ("UBND các huyện") that expands to its members."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)
    # Vietnamese alphabetical order (Bắc Sơn before Bình Gia, Đ after D), kept in step with the name.
    sort_key: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    level: Mapped[str] = mapped_column(enum_column(Level, "level"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    aliases: Mapped[list[AgencyAlias]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="AgencyAlias.id"
    )
    members: Mapped[list[Agency]] = relationship(
        secondary=agency_members,
        primaryjoin=lambda: Agency.id == agency_members.c.group_id,
        secondaryjoin=lambda: Agency.id == agency_members.c.member_id,
        back_populates="groups",
        order_by=lambda: Agency.sort_key,
    )
    groups: Mapped[list[Agency]] = relationship(
        secondary=agency_members,
        primaryjoin=lambda: Agency.id == agency_members.c.member_id,
        secondaryjoin=lambda: Agency.id == agency_members.c.group_id,
        back_populates="members",
        order_by=lambda: Agency.sort_key,
    )

    @validates("name")
    def _keep_keys(self, _key: str, name: str) -> str:
        self.name_folded, self.sort_key = fold(name), sort_key(name)
        return name

    @property
    def is_group(self) -> bool:
        """True for a group cell such as "BCĐ cấp huyện, xã"."""
        return self.level == "group"

    @property
    def member_count(self) -> int:
        """How many bodies a group holds."""
        return len(self.members)

    @property
    def level_label(self) -> str:
        """The level in Vietnamese."""
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def short_name(self) -> str:
        """What tables show: see `short_form`."""
        return short_form(self.name, self.aliases[0].alias if self.aliases else None)

    def bodies(self) -> list[Agency]:
        """The bodies that each owe their own work: the members of a group, or the agency itself."""
        return list(self.members) if self.is_group else [self]


# A name this long or shorter ("Sở Tài chính", "Sở Công Thương") is shown whole: abbreviating it would
# only make "TC" or "Nội vụ" stand beside "Sở GTVT".
SHORT_ENOUGH = 14


def short_form(name: str, first_alias: str | None) -> str:
    """An agency as tables show it: a short name whole ("Sở Nội vụ"), a long one by its first alias when
    that is shorter ("Sở KH&ĐT", "VPĐP tỉnh", "Huyện Đình Lập"); the other aliases still match on import."""
    if first_alias and len(name) > SHORT_ENOUGH and len(first_alias) < len(name):
        return first_alias
    return name


class AgencyAlias(db.Model):
    """Another way the plan writes an agency ("Sở KH&ĐT", "KH&ĐT"), matched by its folded key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)

    agency: Mapped[Agency] = relationship(back_populates="aliases")


# After every real deadline (a plan's dates stay within its year); the text is SQL both databases read alike.
NO_DEADLINE_KEY = date(9999, 12, 31)
DEADLINE_KEY_SQL = (f"CASE WHEN schedule_kind IN ({', '.join(repr(k) for k in sorted(NO_DEADLINE_KINDS))}) "
                    f"OR due_on IS NULL THEN '{NO_DEADLINE_KEY.isoformat()}' ELSE due_on END")


class Task(db.Model):
    """A work item of the appendix, with every cell as written beside what it was parsed into."""

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "code"),
        # The plan page walks a plan in appendix order or by deadline, a page at a time, stopping
        # after a page's rows; counts by category read only the covering index, never the rows.
        # Each index ends with the id, the last key of every order, so PostgreSQL needs no sort either.
        sa.Index("ix_task_plan_position", "plan_id", "position", "id"),
        # By due date: the overdue list's order, and (covering) every count by category on a date.
        sa.Index("ix_task_plan_due", "plan_id", "due_on", "position", "id", "lines_done_on", "lines_started_on",
                 "schedule_kind"),
        sa.Index("ix_task_plan_deadline", "plan_id", "deadline_key", "position", "id"),
        sa.Index("ix_task_section_position", "section_id", "plan_id", "position", "id"),
        # A task found by its id from an agency's lines or assignments: what its category and the
        # sheet's order need, read from this narrow index instead of the wide row.
        sa.Index("ix_task_id_facts", "id", "plan_id", "position", "due_on", "schedule_kind", "lines_done_on",
                 "lines_started_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("section.id", ondelete="CASCADE"))  # ix_task_section_position
    code: Mapped[str] = mapped_column(sa.String(20))
    position: Mapped[int]  # the item's place in the whole appendix, so sections come in order too
    title: Mapped[str] = mapped_column(sa.Text)
    lead_text: Mapped[str] = mapped_column(sa.Text, default="")
    executing_text: Mapped[str] = mapped_column(sa.Text, default="")
    coordinating_text: Mapped[str] = mapped_column(sa.Text, default="")
    timeline: Mapped[str] = mapped_column(sa.String(200), default="")
    schedule_kind: Mapped[str] = mapped_column(enum_column(ScheduleKind, "schedule_kind"), index=True)
    start_on: Mapped[date | None]
    due_on: Mapped[date | None]
    # The deadline sort's key, computed by the database: the deadline, or after every date for work
    # with none (ongoing, recurring, periodic, or not dated), so one index serves "by deadline".
    # (Stored: PostgreSQL before 18 has no other kind; the migration adds it virtual on SQLite, which cannot
    # add a stored column to a table, and the index holds its values either way.)
    deadline_key: Mapped[date | None] = mapped_column(sa.Computed(DEADLINE_KEY_SQL, persisted=True))
    recurrence: Mapped[str | None] = mapped_column(sa.String(20))
    needs_date: Mapped[bool] = mapped_column(default=False, index=True)
    flag_note: Mapped[str] = mapped_column(sa.Text, default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # What a category needs from the task's lines, aggregated in SQL whenever a line changes
    # (tracker/progress/category_sql.py), so a list judges 50,000 tasks without reading a line:
    # the day the last body finished while every body is done, and the first day any body was at work.
    lines_done_on: Mapped[date | None]
    lines_started_on: Mapped[date | None]
    # The same item in last year's plan (same title, or chosen when the office reviewed the document).
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="SET NULL"))

    plan: Mapped[Plan] = relationship()
    previous: Mapped[Task | None] = relationship(remote_side="Task.id")
    section: Mapped[Section] = relationship(back_populates="tasks")
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Assignment.id"
    )
    lines: Mapped[list[StatusLine]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="StatusLine.id"
    )

    @property
    def kind_label(self) -> str:
        """The schedule kind in Vietnamese."""
        return KIND_LABELS.get(self.schedule_kind, self.schedule_kind)

    def cell_text(self, role: str) -> str:
        """The cell of the given role as written in the appendix."""
        return getattr(self, f"{role}_text")

    def agencies(self, role: str) -> list[Agency]:
        """The agencies or groups named in the given role's cell, in the appendix's order."""
        return [a.agency for a in self.assignments if a.role == role]

    def bodies(self, role: str) -> list[Agency]:
        """The individual bodies of a role, groups expanded, each once."""
        seen: dict[int, Agency] = {}
        for agency in self.agencies(role):
            for body in agency.bodies():
                seen.setdefault(body.id, body)
        return list(seen.values())


class Assignment(db.Model):
    """An agency or group named in one of a task's three role cells."""

    __table_args__ = (
        sa.UniqueConstraint("task_id", "agency_id", "role"),
        # "Tasks of this agency in this role" is answered from the index alone.
        sa.Index("ix_assignment_agency_role_task", "agency_id", "role", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))  # the unique key's prefix
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(enum_column(Role, "role"))

    task: Mapped[Task] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship()


# PostgreSQL would guess "this agency in this role" as if agency and role were independent (thousands of
# rows where a district leads none) and walk the whole plan for a sheet's first page; joint statistics
# let it see how few there are. SQLite reads its own statistics from the index on both columns.
AGENCY_ROLE_STATISTICS = "CREATE STATISTICS st_assignment_agency_role (mcv) ON agency_id, role FROM assignment"
sa.event.listen(Assignment.__table__, "after_create", sa.DDL(AGENCY_ROLE_STATISTICS).execute_if(dialect="postgresql"))
