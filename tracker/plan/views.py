"""Pages: the plan laid out as the appendix, a task, the agencies and each agency's sheet."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from ..clock import local_today, parse_iso_date
from ..extensions import db
from ..progress.categories import CATEGORY_LABELS
from ..progress.listing import agency_sheet, directory, task_page
from ..text import fold
from .forms import TaskFilterForm
from .models import LEVEL_LABELS, ROLE_LABELS, ROLES, Agency, AgencyAlias, Plan
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


@bp.app_template_global()
def agency_url(agency_id: int) -> str:
    """The link to an agency's sheet, built once per agency per request (a page names the same few often)."""
    cache = g.setdefault("agency_urls", {})
    if agency_id not in cache:
        cache[agency_id] = url_for("plan.agency_detail", agency_id=agency_id)
    return cache[agency_id]


@bp.app_template_global()
def task_url(code: str) -> str:
    """The link to a task's page; the route is resolved once per request, not once per row."""
    parts = g.get("task_url_parts")
    if parts is None:
        parts = g.task_url_parts = url_for("progress.task_detail", code="__code__").split("__code__", 1)
    return parts[0] + quote(code, safe="") + parts[1]


@bp.app_template_global()
def agency_links(agencies: list, short: bool = False) -> Markup:
    """Agencies as links to their sheets, separated by semicolons; a group's title says how many it holds.

    Python rather than a Jinja macro, each link built once per request: a plan page draws three
    cells of these per row, naming the same few dozen bodies again and again.
    """
    key = (tuple(agency.id for agency in agencies), short)
    cells = g.setdefault("agency_cells", {})  # many rows name the same bodies in the same cell
    if key not in cells:
        links = g.setdefault("agency_links", {})
        for agency in agencies:
            if (agency.id, short) not in links:
                title = agency.name + (f" (nhóm: {agency.member_count} cơ quan)" if agency.is_group else "")
                links[agency.id, short] = Markup('<a href="%s"%s title="%s">%s</a>') % (
                    agency_url(agency.id), Markup(' class="group"') if agency.is_group else "", title,
                    agency.short_name if short else agency.name)
        cells[key] = Markup("; ").join(links[agency.id, short] for agency in agencies)
    return cells[key]


def plan_years() -> list[int]:
    """Every year that has a plan, newest first."""
    return list(db.session.scalars(sa.select(Plan.year).order_by(Plan.year.desc())))


def as_of_param() -> date:
    """?as_of=YYYY-MM-DD, today in Việt Nam when absent; 400 with a message when malformed."""
    raw = request.args.get("as_of")
    if not raw:
        return local_today()
    found = parse_iso_date(raw)
    if found is None:
        abort(400, description=f"Ngày «{raw[:20]}» không hợp lệ; dùng dạng YYYY-MM-DD, ví dụ 2021-04-15.")
    return found


def plan_or_404() -> Plan:
    """The plan asked for by ?year=, or the latest; 404 when there is none."""
    year = request.args.get("year", type=int)
    plan = current_plan(year)
    if plan is None:
        abort(404, description="Chưa có kế hoạch nào. Chạy «flask --app wsgi seed» để nạp kế hoạch.")
    return plan


@bp.get("/")
def index():
    """The plan's tasks in the appendix's layout, with filters, search, sorting and pages."""
    plan = plan_or_404()
    form = TaskFilterForm(request.args, plan)
    valid = form.validate()
    as_of = (form.as_of.data if valid else None) or local_today()
    pagination = None
    if valid:
        pagination = task_page(plan, form.filters(), as_of=as_of, category=form.category.data or None,
                               sort=form.sort.data or "section", page=form.page.data or 1,
                               per_page=current_app.config["PAGE_SIZE"])
        for row in pagination.items:  # built here, not in the template: three cells a row, a hundred rows
            row.links = {role: agency_links(row.agencies(role), short=True) for role in ROLES}
    filtered = any(request.args.get(k) for k in ("q", "section", "agency", "role", "kind", "category"))
    page = render_template("plan/index.html", plan=plan, form=form, pagination=pagination,
                           rows=pagination.items if pagination else [], filtered=filtered,
                           agencies=directory().for_choosing(), as_of=as_of, years=plan_years(),
                           category_labels=CATEGORY_LABELS)
    return page, 200 if valid else 400


@bp.get("/agencies")
def agencies():
    """Every body and group, by level, with a diacritic-insensitive search."""
    q = request.args.get("q", "")[:200]
    query = sa.select(Agency).options(selectinload(Agency.aliases)).order_by(Agency.sort_key)
    for word in fold(q).split():
        matching_alias = sa.select(AgencyAlias.agency_id).where(AgencyAlias.key.contains(word, autoescape=True))
        query = query.where(sa.or_(Agency.name_folded.contains(word, autoescape=True), Agency.id.in_(matching_alias)))
    found = list(db.session.scalars(query))
    by_level = {level: [a for a in found if a.level == level] for level in LEVEL_LABELS}
    return render_template("plan/agencies.html", by_level=by_level, levels=LEVEL_LABELS, q=q, total=len(found))


@bp.get("/agencies/<int:agency_id>")
def agency_detail(agency_id: int):
    """An agency's responsibility sheet: by role, its counts by category and its first tasks."""
    plan = plan_or_404()
    agency = db.get_or_404(Agency, agency_id, description="Không có cơ quan này.")
    as_of = as_of_param()
    return render_template("plan/agency.html", plan=plan, agency=agency, as_of=as_of,
                           sheets=agency_sheet(plan, agency, as_of), category_labels=CATEGORY_LABELS,
                           role_labels=ROLE_LABELS)
