"""The dashboard (Tổng quan), the leaders' and the office's home, and an officer's own work (Việc của tôi)."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.policy import is_officer
from ..clock import local_today
from ..plan.models import Plan
from ..plan.services import current_plan
from ..plan.views import as_of_param, plan_or_404, plan_years
from ..web import int_arg
from ..progress.categories import CATEGORIES, CATEGORY_LABELS, CATEGORY_SHORT
from ..progress.models import STATUS_LABELS
from ..indicators import figures as indicator_figures
from ..indicators.counts import BAND_LABELS
from ..quarters import Quarter
from ..reporting.services import BODY_STATE_LABELS
from . import charts, queries
from .cache import figures, sort_agencies
from .my_work import my_work as my_work_groups
from .rounds import rounds_at_a_glance, rounds_owed, sent_back

bp = Blueprint("dashboard", __name__)


def plan_and_day(today: date) -> tuple[Plan, date]:
    """The plan the dashboard judges and the day it judges it on.

    ?year= chooses the plan; without it, the plan of ?as_of='s year (the latest plan when that year has
    none). Without ?as_of, today, or the last day of a plan whose year is over: never a day not yet come.
    """
    chosen = int_arg("year")
    as_of = as_of_param() if request.args.get("as_of") else None
    plan = plan_or_404() if chosen else (current_plan((as_of or today).year) or plan_or_404())
    if as_of is None:
        as_of = min(today, date(plan.year, 12, 31))
    return plan, as_of


def keep_year(plan: Plan) -> list[int]:
    """Links to the plan's pages keep to the plan judged here when it is not the latest; every plan's year."""
    years = plan_years()
    if plan.year != years[0]:
        g.plan_year = plan.year
    return years


def report_link(plan: Plan, as_of: date) -> dict:
    """The quarterly report the dashboard offers: the quarter of its day counted to that day, within the plan's
    year; the plan year's first or last quarter for a day outside it."""
    quarter = Quarter.nearest(plan.year, as_of)
    if as_of.year == plan.year:
        return {"args": {"year": plan.year, "as_of": as_of.isoformat()}, "quarter": quarter.number,
                "until": None if quarter.ended_by(as_of) else as_of}
    return {"args": {"year": plan.year, "quarter": quarter.number}, "quarter": quarter.number, "until": None}


@bp.get("/dashboard")
def dashboard():
    """Where the plan stands on a date: counts overall, by section and by agency, what is late,
    what falls due, what is silent, how things moved since the quarter began, and the rounds."""
    plan, as_of = plan_and_day(local_today())
    years = keep_year(plan)
    sort = request.args.get("sort", "overdue")
    sort = sort if sort in queries.MATRIX_SORTS else "overdue"
    found = figures(plan, as_of)
    agencies = sort_agencies(found.agencies, sort)
    return render_template(
        "dashboard/index.html", plan=plan, as_of=as_of, sort=sort, now=found.now, sections=found.sections,
        agencies=agencies, movement=found.movement, trend=found.trend, overdue=found.overdue, stale=found.stale,
        due_week=found.due_week, due_month=found.due_month, needs_date=found.needs_date,
        rounds=rounds_at_a_glance(plan, as_of), numbers=found.numbers,
        band_labels=BAND_LABELS,
        section_chart=charts.stacked_rows([(row.label, row.counts) for row in found.sections], _("Công việc theo mục")),
        agency_chart=charts.stacked_rows([(row.label, row.counts) for row in agencies],
                                         _("Dòng công việc theo cơ quan thực hiện")),
        trend_chart=charts.stacked_columns([(f"{day:%d/%m}", counts) for day, counts in found.trend],
                                           _("Diễn biến theo quý")),
        categories=CATEGORIES, category_labels=CATEGORY_LABELS, short_labels=CATEGORY_SHORT,
        state_labels=BODY_STATE_LABELS, stale_days=queries.STALE_DAYS, report=report_link(plan, as_of),
        years=years)


@bp.get("/my")
def my_work():
    """An officer's own lines, each judged by the line itself, the rounds its agency owes and what was sent back."""
    if not is_officer(current_user):
        return redirect(url_for("dashboard.dashboard", **request.args))
    plan, as_of = plan_and_day(local_today())
    keep_year(plan)
    agency_id = current_user.agency_id
    # The indicators the agency reports that still lack the quarter's figure (a quarter of the plan's year).
    figure_quarter = indicator_figures.default_quarter(plan, as_of)
    owed_figures = indicator_figures.figures_owed(plan.id, plan.year, figure_quarter, [agency_id]).get(agency_id, [])
    return render_template("dashboard/my_work.html", plan=plan, as_of=as_of, figures=owed_figures,
                           figure_quarter=figure_quarter,
                           groups=my_work_groups(plan, agency_id, as_of), owed=rounds_owed(plan, agency_id, as_of),
                           returned=sent_back(agency_id), category_labels=CATEGORY_LABELS,
                           status_labels=STATUS_LABELS, state_labels=BODY_STATE_LABELS)
