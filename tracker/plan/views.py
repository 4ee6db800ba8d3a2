"""Pages: the plan laid out as the appendix, a task, the agencies and each agency's sheet."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote, quote_plus

import sqlalchemy as sa
from flask_babel import gettext as _
from flask import Blueprint, abort, g, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from ..clock import BAD_DATE, local_today, parse_date
from ..extensions import db
from ..web import int_arg
from ..text import fold
from .models import LEVEL_LABELS, Agency, AgencyAlias, Plan
from .services import current_plan

bp = Blueprint("plan", __name__)
YEAR_AWARE = ("plan.", "progress.")


@bp.before_app_request
def remember_year() -> None:
    """A ?year= chosen on one page follows every link and form to the plan's other pages."""
    g.plan_year = int_arg("year")


@bp.app_url_defaults
def add_year(endpoint: str, values: dict) -> None:
    if g.get("plan_year") and endpoint.startswith(YEAR_AWARE) and "year" not in values:
        values["year"] = g.plan_year


@bp.app_template_global()
def agency_url(agency_id: int) -> str:
    """The link to an agency's sheet, built once per agency per request (a page names the same few often)."""
    cache = g.setdefault("agency_urls", {})
    if agency_id not in cache:
        cache[agency_id] = url_for("progress.agency_detail", agency_id=agency_id)
    return cache[agency_id]


@bp.app_template_global()
def task_url(code: str) -> str:
    """The link to a task's page; the route is resolved once per request, not once per row."""
    parts = g.get("task_url_parts")
    if parts is None:
        parts = g.task_url_parts = url_for("progress.task_detail", code="__code__").split("__code__", 1)
    return parts[0] + quote(code, safe="") + parts[1]


# What werkzeug's url_for leaves unquoted in a query string's values (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"
_SLOT = 7_350_000_001  # stands for an argument while the route is built once; digits, so an id's converter takes it


@bp.app_template_global()
def url_maker(endpoint: str, *names: str, **fixed: object) -> Callable[..., str]:
    """url_for(endpoint, **fixed, **dict(zip(names, values))) as a function of the values, the route and its
    defaults (?year=) resolved once: a dashboard draws some 300 links to one list, differing in two arguments.

    The names are query arguments (never None: url_for drops those) or integer ids in the path; each value
    is quoted as url_for quotes it, so the links are the same to the byte.
    """
    slots = {name: str(_SLOT + index) for index, name in enumerate(names)}
    built = url_for(endpoint, **fixed, **slots)
    if any(built.count(slot) != 1 for slot in slots.values()):
        raise ValueError(f"url_maker cannot place its arguments in {built!r}")
    order = sorted(names, key=lambda name: built.index(slots[name]))
    pieces = [built]
    for name in order:
        head, tail = pieces.pop().split(slots[name], 1)
        pieces += [head, tail]
    position = [names.index(name) for name in order]
    quoted: dict[tuple, str] = {}  # a page repeats the same few keys (categories, agencies) in many links

    def build(*values: object) -> str:
        out = pieces[0]
        for index, piece in zip(position, pieces[1:]):
            value = values[index]
            key = (type(value), value)  # 1 and True are equal keys, but not the same text
            if key not in quoted:
                quoted[key] = quote_plus(str(value), safe=_QUERY_SAFE)
            out += quoted[key] + piece
        return out
    return build


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
                title = agency.name + (" " + _("(nhóm: %(count)s cơ quan)", count=agency.member_count)
                                       if agency.is_group else "")
                links[agency.id, short] = Markup('<a href="%s"%s title="%s">%s</a>') % (
                    agency_url(agency.id), Markup(' class="group"') if agency.is_group else "", title,
                    agency.short_name if short else agency.name)
        cells[key] = Markup("; ").join(links[agency.id, short] for agency in agencies)
    return cells[key]


def plan_years() -> list[int]:
    """Every year that has a plan, newest first."""
    return list(db.session.scalars(sa.select(Plan.year).order_by(Plan.year.desc())))


def as_of_param() -> date:
    """?as_of= (YYYY-MM-DD as links carry it, or dd/mm/yyyy as typed), today in Việt Nam when absent; 400 when malformed."""
    raw = request.args.get("as_of")
    if not raw:
        return local_today()
    found = parse_date(raw)
    if found is None:
        abort(400, description=f"«{raw[:20]}»: {BAD_DATE}")
    return found


def plan_or_404() -> Plan:
    """The plan asked for by ?year=, or the latest; 404 when there is none."""
    year = int_arg("year")
    plan = current_plan(year)
    if plan is None:
        abort(404, description=_("Chưa có kế hoạch nào. Chạy «flask --app wsgi seed» để nạp kế hoạch."))
    return plan


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
