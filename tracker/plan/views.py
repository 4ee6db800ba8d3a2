"""Pages: the plan laid out as the appendix, a task, the agencies and each agency's sheet."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, render_template, request
from sqlalchemy.orm import selectinload

from ..clock import local_today
from ..extensions import db
from ..pagination import Page
from ..progress.categories import CATEGORY_LABELS
from ..progress.services import filtered_tasks
from ..text import fold
from .forms import TaskFilterForm, agency_choices
from .models import LEVEL_LABELS, ROLES, Agency, AgencyAlias, Assignment, Plan, Task
from .services import current_plan

bp = Blueprint("plan", __name__)
YEAR_AWARE = ("plan.", "progress.")


@bp.before_app_request
def remember_year() -> None:
    """A ?year= chosen on one page follows every link and form to the plan's other pages."""
    g.plan_year = request.args.get("year", type=int)


@bp.app_url_defaults
def add_year(endpoint: str, values: dict) -> None:
    if g.get("plan_year") and endpoint.startswith(YEAR_AWARE) and "year" not in values:
        values["year"] = g.plan_year


def plan_years() -> list[int]:
    """Every year that has a plan, newest first."""
    return list(db.session.scalars(sa.select(Plan.year).order_by(Plan.year.desc())))


def plan_or_404() -> Plan:
    """The plan asked for by ?year=, or the latest; 404 when there is none."""
    year = request.args.get("year", type=int)
    plan = current_plan(year)
    if plan is None:
        abort(404, description="Chưa có kế hoạch nào. Chạy «flask --app wsgi seed» để nạp kế hoạch.")
    return plan


@bp.get("/")
def index():
    """The plan's tasks, grouped by section, with filters and search."""
    plan = plan_or_404()
    form = TaskFilterForm(request.args, plan)
    as_of = form.as_of.data or local_today()
    pagination, categories = None, {}
    if form.validate():
        as_of = form.as_of.data or local_today()
        tasks, categories = filtered_tasks(plan, form.filters(), form.category.data or None, as_of)
        pagination = Page.of(tasks, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    filtered = any(request.args.get(k) for k in ("q", "section", "agency", "role", "kind", "category"))
    page = render_template("plan/index.html", plan=plan, form=form, pagination=pagination,
                           tasks=pagination.items if pagination else [], filtered=filtered,
                           agencies=agency_choices(), categories=categories, as_of=as_of, years=plan_years(),
                           category_labels=CATEGORY_LABELS)
    return page, 400 if form.errors else 200


@bp.get("/agencies")
def agencies():
    """Every body and group, by level, with a diacritic-insensitive search."""
    q = request.args.get("q", "")[:200]
    query = sa.select(Agency).options(selectinload(Agency.aliases)).order_by(Agency.name_folded)
    for word in fold(q).split():
        matching_alias = sa.select(AgencyAlias.agency_id).where(AgencyAlias.key.contains(word, autoescape=True))
        query = query.where(sa.or_(Agency.name_folded.contains(word, autoescape=True), Agency.id.in_(matching_alias)))
    found = list(db.session.scalars(query))
    by_level = {level: [a for a in found if a.level == level] for level in LEVEL_LABELS}
    return render_template("plan/agencies.html", by_level=by_level, levels=LEVEL_LABELS, q=q, total=len(found))


@bp.get("/agencies/<int:agency_id>")
def agency_detail(agency_id: int):
    """An agency's responsibility sheet: its tasks grouped by role, directly or through its groups."""
    plan = plan_or_404()
    agency = db.get_or_404(Agency, agency_id, description="Không có cơ quan này.")
    ids = [agency.id, *(g.id for g in agency.groups)]
    rows = db.session.execute(
        sa.select(Assignment.role, Task, Assignment.agency_id)
        .join(Assignment.task).where(Task.plan_id == plan.id, Assignment.agency_id.in_(ids))
        .order_by(Task.id)
    ).all()
    sheet: dict[str, list[tuple[Task, Agency | None]]] = {role: [] for role in ROLES}
    seen: set[tuple[str, int]] = set()
    for role, task, via_id in sorted(rows, key=lambda r: (r[1].section.position, r[1].position)):
        if (role, task.id) not in seen:
            seen.add((role, task.id))
            sheet[role].append((task, db.session.get(Agency, via_id) if via_id != agency.id else None))
    return render_template("plan/agency.html", plan=plan, agency=agency, sheet=sheet)
