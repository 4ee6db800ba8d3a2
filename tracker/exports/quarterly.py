"""What the quarterly report holds, for a quarter or any as-of date: read once, streamed to each format.

The appendix's rows come out in its order, one row per executing body's line (a task without a
line gets one row), straight from a cursor: a 50,000-task plan is never held in memory.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..plan.models import Plan, Section, Task
from ..progress.categories import CATEGORY_LABELS
from ..progress.category_sql import line_category, task_category
from ..progress.listing import directory
from ..progress.models import STATUS_LABELS, StatusLine
from ..reporting.models import ReportingRound, Submission
from ..indicators.counts import DistrictRow, districts_on, has_sample, standings
from ..indicators.figures import QuarterFigures, quarter_figures
from ..indicators.models import Indicator
from ..dashboard import queries
from ..dashboard.cache import figures
from ..dashboard.rounds import RoundGlance, glance
from ..quarters import ROMAN, Quarter  # noqa: F401 (ROMAN: the spreadsheet reads it from here)
from .letterhead import Letterhead, current_letterhead

# Text that a spreadsheet would run as a formula if it began a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: str) -> str:
    """A text that cannot start a formula in Excel or LibreOffice: a leading apostrophe, as OWASP advises."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass
class Period:
    """The quarter a report covers and the date its figures are counted to."""

    year: int
    quarter: int
    as_of: date

    @property
    def covered(self) -> Quarter:
        """The quarter the report covers."""
        return Quarter(self.year, self.quarter)

    @property
    def start(self) -> date:
        """The quarter's first day."""
        return self.covered.start

    @property
    def end(self) -> date:
        """The quarter's last day."""
        return self.covered.end

    @property
    def label(self) -> str:
        """"quý I năm 2021"."""
        return self.covered.label

    @classmethod
    def of_quarter(cls, year: int, quarter: int, today: date) -> Period:
        """A quarter counted to its last day, or to today while it is still running."""
        period = cls(year, quarter, today)
        period.as_of = min(period.end, today)
        return period

    @classmethod
    def of_date(cls, as_of: date) -> Period:
        """The quarter as_of falls in, counted to as_of."""
        return cls(as_of.year, Quarter.of(as_of).number, as_of)


@dataclass
class AppendixRow:
    """One row of the report's appendix sheet: a task's cells (on its first row) and one body's line."""

    section: str
    code: str
    title: str
    lead: str
    executing: str
    coordinating: str
    timeline: str
    due_on: date | None
    task_category: str
    first_of_task: bool
    agency: str = ""
    line_category: str = ""
    status: str = ""
    progress: int | None = None
    completed_on: date | None = None
    note: str = ""


def appendix_rows(plan: Plan, as_of: date) -> Iterator[tuple[str, str] | AppendixRow]:
    """The appendix in order: a ("section", "I. …") marker before each section's tasks, then its rows."""
    agencies = directory()
    statement = (
        sa.select(Section.numeral, Section.title, Task.id, Task.code, Task.title, Task.lead_text, Task.executing_text,
                  Task.coordinating_text, Task.timeline, Task.due_on, task_category(as_of), StatusLine.agency_id,
                  line_category(as_of), StatusLine.status, StatusLine.progress, StatusLine.completed_on,
                  StatusLine.note)
        .join(Section, Section.id == Task.section_id)
        .outerjoin(StatusLine, StatusLine.task_id == Task.id)
        .where(Task.plan_id == plan.id)
        .order_by(Section.position, Task.position, Task.id, StatusLine.id))
    section, task_id = None, None
    for (numeral, section_title, tid, code, title, lead, executing, coordinating, timeline, due_on, category,
         agency_id, own_category, status, progress, completed_on, note) in db.session.execute(
            statement.execution_options(yield_per=2000)):
        if numeral != section:
            section = numeral
            yield ("section", f"{numeral}. {section_title}")
        row = AppendixRow(numeral, code, title, lead, executing, coordinating, timeline, due_on, category,
                          first_of_task=tid != task_id)
        task_id = tid
        if agency_id is not None:
            row.agency, row.line_category = agencies[agency_id].name, own_category
            row.status, row.progress, row.completed_on, row.note = status, progress, completed_on, note
        yield row


@dataclass
class QuarterlyReport:
    """The report's figures: counts, the matrices, the overdue lines, the round and its reports."""

    plan: Plan
    period: Period
    overall: dict[str, int]
    sections: list[queries.CountRow]
    agencies: list[queries.CountRow]
    overdue: list[queries.LineRow]
    overdue_total: int
    round: ReportingRound | None
    submissions: list[Submission]
    round_state: RoundGlance | None
    indicators: QuarterFigures | None = None
    districts: list[DistrictRow] | None = None
    sample_communes: bool = False
    letterhead: Letterhead | None = None  # who issues it: set by quarterly_report from the office's settings

    @property
    def plan_and_period(self) -> str:
        """"Kế hoạch … năm 2021, quý IV": the year said once when the plan's title names it."""
        title = self.plan.title.rstrip()
        if title.endswith(f"năm {self.period.year}"):
            return f"{title}, quý {self.period.covered.roman}"
        return f"{title}, {self.period.label}"

    @property
    def title(self) -> str:
        """The report's title, as the office writes it."""
        return f"Báo cáo tình hình thực hiện {self.plan_and_period}"


OVERDUE_LISTED = 500


def quarterly_report(plan: Plan, period: Period) -> QuarterlyReport:
    """Everything the XLSX's second sheet and the DOCX draft show (the appendix rows are streamed apart)."""
    as_of = period.as_of
    overdue_base = queries.lines_of(plan).where(line_category(as_of) == "overdue")
    counted = figures(plan, as_of)  # the dashboard's own figures, computed once per version of the data
    overdue_total = counted.overdue.total
    overdue = queries.line_rows(overdue_base.order_by(Task.due_on, Task.position).limit(OVERDUE_LISTED)) \
        if overdue_total else []
    for row in overdue:
        row.days = (as_of - row.due_on).days
    round_ = db.session.scalar(
        sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id, ReportingRound.kind == "quarterly",
                                        ReportingRound.period_start == period.start)
        .options(selectinload(ReportingRound.bodies), selectinload(ReportingRound.submissions)))
    # A report made on as_of states nothing of a later day: a report submitted after it is not yet in.
    submissions = [s for s in round_.submissions if s.status == "submitted" and s.submitted_on <= as_of] \
        if round_ else []
    submissions.sort(key=lambda s: s.agency.sort_key)
    report = QuarterlyReport(plan, period, counted.now, counted.sections, counted.agencies, overdue, overdue_total,
                             round_, submissions, round_on(round_, as_of) if round_ else None)
    report.letterhead = current_letterhead()
    if db.session.scalar(sa.select(Indicator.id).where(Indicator.plan_id == plan.id).limit(1)) is not None:
        report.indicators = figures_on(plan, period)
        report.districts = districts_on(report.indicators.day)
        report.sample_communes = has_sample()
    return report


def figures_on(plan: Plan, period: Period) -> QuarterFigures:
    """The quarter's indicators with the communes counted on the report's as-of day, not the quarter's end."""
    end, last_end = period.end, period.covered.previous.end
    counted = standings(sorted({period.as_of, last_end}))
    # quarter_figures reads the standings by the quarter's end: the as-of day's standing stands in for it.
    return quarter_figures(plan, period.year, period.quarter, {end: counted[period.as_of], last_end: counted[last_end]})


def round_on(round_: ReportingRound, as_of: date) -> RoundGlance:
    """The round's bodies as they stood on as_of: a report submitted (or sent back) later does not count yet."""
    found = glance(round_, as_of)
    bodies = []
    for body, state, submission in found.bodies:
        if submission is not None and submission.submitted_on > as_of:
            state, submission = ("overdue" if as_of > round_.due_on else "missing"), None
        elif state == "returned" and submission.returned_at and submission.returned_at.date() > as_of:
            state = "late" if submission.submitted_on > round_.due_on else "on_time"
        bodies.append((body, state, submission))
    return RoundGlance(round_, bodies)


def category_label(name: str) -> str:
    """A category in Vietnamese, empty for none."""
    return CATEGORY_LABELS.get(name, "")


def status_label(name: str) -> str:
    """A line's status in Vietnamese."""
    return STATUS_LABELS.get(name, name)
