"""The dashboard (Tổng quan), the leaders' and the office's home, and an officer's own work (Việc của tôi)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.policy import is_officer
from ..plan.views import as_of_param, plan_or_404
from ..progress.categories import CATEGORIES, CATEGORY_LABELS, CATEGORY_SHORT
from ..indicators import figures as indicator_figures
from ..reporting.services import BODY_STATE_LABELS
from . import charts, queries
from .cache import figures, sort_agencies
from .my_work import my_work as my_work_groups
from .rounds import rounds_at_a_glance, rounds_owed, sent_back

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def dashboard():
    """Where the plan stands on a date: counts overall, by section and by agency, what is late,
    what falls due, what is silent, how things moved since the quarter began, and the rounds."""
    plan = plan_or_404()
    as_of = as_of_param()
    sort = request.args.get("sort", "overdue")
    sort = sort if sort in queries.MATRIX_SORTS else "overdue"
    found = figures(plan, as_of)
    agencies = sort_agencies(found.agencies, sort)
    return render_template(
        "dashboard/index.html", plan=plan, as_of=as_of, sort=sort, now=found.now, sections=found.sections,
        agencies=agencies, movement=found.movement, trend=found.trend, overdue=found.overdue, stale=found.stale,
        due_week=found.due_week, due_month=found.due_month, needs_date=found.needs_date,
        rounds=rounds_at_a_glance(plan, as_of), numbers=found.numbers,
        band_labels=indicator_figures.BAND_LABELS,
        section_chart=charts.stacked_rows([(row.label, row.counts) for row in found.sections], _("Công việc theo mục")),
        agency_chart=charts.stacked_rows([(row.label, row.counts) for row in agencies],
                                         _("Dòng công việc theo cơ quan thực hiện")),
        trend_chart=charts.stacked_columns([(f"{day:%d/%m}", counts) for day, counts in found.trend],
                                           _("Diễn biến theo quý")),
        categories=CATEGORIES, category_labels=CATEGORY_LABELS, short_labels=CATEGORY_SHORT,
        state_labels=BODY_STATE_LABELS, stale_days=queries.STALE_DAYS, quarter=(as_of.month - 1) // 3 + 1)


@bp.get("/my")
def my_work():
    """An officer's own lines, each judged by the line itself, the rounds its agency owes and what was sent back."""
    if not is_officer(current_user):
        return redirect(url_for("dashboard.dashboard", **request.args))
    plan = plan_or_404()
    as_of = as_of_param()
    agency_id = current_user.agency_id
    # The indicators the agency reports that still lack the quarter's figure (a quarter of the plan's year).
    figure_quarter = indicator_figures.default_quarter(plan, as_of)
    owed_figures = indicator_figures.figures_owed(plan.id, plan.year, figure_quarter, [agency_id]).get(agency_id, [])
    return render_template("dashboard/my_work.html", plan=plan, as_of=as_of, figures=owed_figures,
                           figure_quarter=figure_quarter,
                           groups=my_work_groups(plan, agency_id, as_of), owed=rounds_owed(plan, agency_id, as_of),
                           returned=sent_back(agency_id), category_labels=CATEGORY_LABELS,
                           state_labels=BODY_STATE_LABELS)
