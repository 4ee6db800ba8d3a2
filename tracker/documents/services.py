"""The import of an appendix and the review of a document's rows. Flush, never commit.

`import_plan` is the one import of an appendix: `flask import-appendix` and a reviewed document both come here.
Reading a document is the scheduler's job (reading.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..files.services import keep_files_named_by
from ..plan.appendix import Appendix, original_fragment
from ..plan.cells import read_cell
from ..plan.models import Plan, Task
from ..plan.services import ImportSummary, PlanInfo, alias_map, import_appendix
from ..plan.timeline import parse_timeline
from ..progress.models import StatusLine
from ..progress.services import sync_lines
from ..reporting.services import ensure_quarterly_rounds
from ..text import fold, nfc
from .models import PlanDocument

BODY_FIELDS = ("lead", "executing", "coordinating")
# Flags the office's own edit cannot clear: the cell is still empty or names a body nobody knows.
BLOCKING = ("empty", "unknown_body")


# -- importing an appendix (the command line and a reviewed document) ---------------------------------

@dataclass
class PlanImport:
    """What an import did: the plan's summary, the tasks linked to last year's and the lines carried over."""

    summary: ImportSummary
    linked: list[str] = field(default_factory=list)
    carried: int = 0


def import_plan(appendix: Appendix, info: PlanInfo, today: date, *, carry_over: bool = False,
                links: dict[str, int] | None = None) -> PlanImport:
    """Import a validated appendix as the plan of info.year: tasks, each body's line, the year's rounds,
    and links to last year's items (those the office chose by code in `links`, else the same title, folded);
    with carry_over, last year's unfinished lines go on in this year's, linked to their history."""
    summary = import_appendix(appendix, info)
    for task in summary.tasks:  # every executing body gets its own line
        sync_lines(task)
    ensure_quarterly_rounds(summary.plan, today)
    result = PlanImport(summary)
    previous = previous_tasks(info.year)
    for task in summary.tasks:
        chosen = (links or {}).get(task.code)
        before_id = chosen if chosen is not None else getattr(previous.get(fold(task.title)), "id", None)
        if before_id is not None and (task.previous_id is None or chosen is not None):
            task.previous_id = before_id
            result.linked.append(task.code)
        if carry_over and task.previous_id is not None:
            result.carried += _carry_over(task)
    db.session.flush()
    return result


def last_years_tasks(year: int) -> list[Task]:
    """Every task of last year's plan, in the appendix's order (to choose a link from)."""
    return list(db.session.scalars(sa.select(Task).join(Plan).where(Plan.year == year - 1).order_by(Task.position)))


def previous_tasks(year: int) -> dict[str, Task]:
    """Last year's tasks by folded title (the first of equal titles), to link this year's items to."""
    plan = db.session.scalar(sa.select(Plan).where(Plan.year == year - 1))
    if plan is None:
        return {}
    tasks: dict[str, Task] = {}
    for task in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id).order_by(Task.position)):
        tasks.setdefault(fold(task.title), task)
    return tasks


def unfinished_lines(task_ids: list[int]) -> int:
    """How many lines of these (last year's) tasks are not done: what carrying over would take on."""
    if not task_ids:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(StatusLine).where(
        StatusLine.task_id.in_(task_ids), StatusLine.status != "done")) or 0


def _carry_over(task: Task) -> int:
    before = {line.agency_id: line for line in db.session.scalars(
        sa.select(StatusLine).where(StatusLine.task_id == task.previous_id))}
    carried = 0
    for line in task.lines:
        old = before.get(line.agency_id)
        if old is None or old.status == "done" or line.carried_from_id is not None or line.updated_at is not None:
            continue
        line.carried_from_id = old.id
        if old.status in ("in_progress", "paused"):
            line.status, line.progress, line.started_on = old.status, old.progress, old.started_on
            line.paused_reason = old.paused_reason
        carried += 1
    return carried


# -- reading ---------------------------------------------------------------------------------------------

def stored_names() -> set[str]:
    """Every stored file a plan document names (kept by the orphan sweep)."""
    return set(db.session.scalars(sa.select(PlanDocument.stored_name)))


# -- review ------------------------------------------------------------------------------------------------

def recheck(name: str, text: str, is_section: bool, aliases: dict[str, str], year: int) -> list[str]:
    """The flags a cell the office has just typed still deserves: required and empty, an unknown body,
    a timeline that gives no deadline."""
    required = ("tt", "title") if is_section else ("tt", "title", "executing", "timeline")
    if not text:
        return ["empty"] if name in required else []
    if is_section:
        return []
    if name in BODY_FIELDS and read_cell(text, aliases).unknown:
        return ["unknown_body"]
    if name == "timeline" and parse_timeline(text, year).needs_date:
        return ["timeline"]
    return []


def unknown_names(text: str, aliases: dict[str, str]) -> list[str]:
    """The names in a body cell that the directory does not know, as the cell writes them."""
    return [original_fragment(text, fragment) for fragment in read_cell(text, aliases).unknown]


def flags_left(document: PlanDocument) -> int:
    """How many cells of the document are still flagged."""
    return sum(row.flag_count for row in document.rows)


def clean_cell(text: str | None) -> str:
    """A cell as stored: NFC, single spaces."""
    return " ".join(nfc(text or "").split())


def init_app(app) -> None:
    """Have the orphan sweep keep the documents' files."""
    keep_files_named_by(stored_names)
