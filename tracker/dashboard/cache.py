"""The dashboard's figures, computed once per plan, date and version of the data, in each process.

A plan of 50,000 tasks takes about a second to count in every way the dashboard shows; the figures
change only when somebody writes (see tracker.changes), so each worker keeps the last few sets and
recomputes after a write. Plain records only: nothing here is bound to a database session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..changes import data_version, kept
from ..indicators.figures import Summary, summary
from ..plan.models import Plan
from . import queries

KEPT = 32  # sets of figures a worker keeps (a few dates for a few plans)


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard counts or lists on a date."""

    now: dict[str, int]
    sections: list[queries.CountRow]
    agencies: list[queries.CountRow]  # by name; the page sorts a copy
    movement: queries.Movement
    trend: list
    overdue: queries.Listing
    stale: queries.Listing
    due_week: queries.Listing
    due_month: queries.Listing
    needs_date: queries.Listing
    numbers: Summary | None  # the plan's numbers: communes against the targets


def _compute(plan: Plan, as_of: date) -> Figures:
    now = queries.overall(plan, as_of)
    return Figures(now, queries.by_section(plan, as_of), queries.by_agency(plan, as_of),
                   queries.movement(plan, as_of, now), queries.trend(plan, as_of, now),
                   queries.overdue_lines(plan, as_of), queries.stale_lines(plan, as_of),
                   queries.due_within(plan, as_of, 1, 7), queries.due_within(plan, as_of, 8, 30),
                   queries.needing_a_date(plan, as_of), summary(plan, as_of))


def figures(plan: Plan, as_of: date) -> Figures:
    """The dashboard's figures for the plan on as_of, from this worker's cache when the data has not changed."""
    return kept("dashboard", (plan.id, as_of, data_version()), lambda: _compute(plan, as_of), KEPT)


def sort_agencies(rows: list[queries.CountRow], sort: str) -> list[queries.CountRow]:
    """The agency matrix sorted by a column, most first, or by name (rows come by name)."""
    if sort == "total":
        return sorted(rows, key=lambda row: -row.total)
    if sort in queries.MATRIX_SORTS and sort != "name":
        return sorted(rows, key=lambda row: -row.counts[sort])
    return list(rows)
