"""The plan's numbers: where each indicator stands at a quarter's end, by district, by commune; entering
a quarter's figure, a commune's criteria, a communes file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from ..auth.decorators import office_required
from ..changes import data_version, kept
from ..auth.policy import can_edit_commune, can_enter_figure, is_office, own_district_only
from ..clock import local_today
from ..extensions import db
from ..i18n import number
from ..files.models import Attachment
from ..forms import show_errors
from ..operations import Invalid, perform
from ..plan.models import Agency, Plan
from ..plan.views import plan_or_404
from ..progress.listing import directory
from ..quarters import Quarter
from ..web import int_arg
from . import counts, figures, operations as ops
from .forms import CommunesFileForm, CriteriaForm, FigureForm, ResponsibleForm
from .models import GROUP_LABELS, MEASURE_LABELS, Commune, Indicator, IndicatorEntry, unit_label
from .services import criterion_history

bp = Blueprint("indicators", __name__, url_prefix="/indicators")
bp.add_app_template_global(unit_label, "unit_label")
_BOUNDS = {"at_least": "≥ ", "about": "~ ", "more_than": "> "}


@bp.app_template_global()
def target_text(ind: Indicator) -> Markup:
    """An indicator's target as the pages write it ("≥ 90%", "35–40 xã/huyện (90%)"), escaped once.

    Python rather than a Jinja macro: the indicator page writes one a row.
    """
    if ind.target is None:
        return Markup("—")
    text = _BOUNDS.get(ind.bound, "") + number(ind.target)
    if ind.target_high is not None:
        text += "–" + number(ind.target_high)
    if ind.of_total:
        text += f"/{ind.of_total}"
    text += ("" if ind.unit == "%" else " ") + unit_label(ind.unit)
    if ind.per_district:
        text += "/" + _("huyện")
    if ind.stated_percent is not None:
        text += f" ({number(ind.stated_percent)}%)"
    return escape(text)


TREND_QUARTERS = 8
@dataclass(frozen=True)
class NearShown:
    """A commune one or two criteria short of the standard, as the indicator page lists it."""

    id: int
    name: str
    district: str
    missing: tuple[int, ...]


def closest_shown(day: date, limit: int) -> list[NearShown]:
    """counts.closest_communes as plain records."""
    return [NearShown(near.commune.id, near.commune.name, near.commune.district.short_name, tuple(near.missing))
            for near in counts.closest_communes(day, limit=limit)]


def quarter_param(plan: Plan) -> int:
    """?quarter= (1–4), or the quarter to show first."""
    quarter = int_arg("quarter")
    if quarter is None:
        return figures.default_quarter(plan, local_today())
    if quarter not in (1, 2, 3, 4):
        abort(400, description=_("Quý phải từ 1 đến 4."))
    return quarter


def indicator_or_404(indicator_id: int) -> Indicator:
    """An indicator of any plan."""
    return db.get_or_404(Indicator, indicator_id, description=_("Không có chỉ tiêu này."))


@bp.get("")
def overview():
    """Every indicator of the plan at a quarter's end, beside last quarter, with the criteria's trend."""
    plan = plan_or_404()
    quarter = quarter_param(plan)
    today = local_today()
    quarters = Quarter(plan.year, quarter).up_to(TREND_QUARTERS)
    # This quarter and last among them, each counted to its end or to today, never to a day not yet come.
    days = sorted({figures.counted_to(q, today) for q in quarters})
    version = data_version()
    counted = counts.kept_standings(days, version)
    # The bodies' short names from the directory a worker keeps: two statements fewer than loading each body.
    found = figures.quarter_figures(plan, plan.year, quarter, counted, today=today, details=False)
    short_names = {ref.id: ref.short_name for ref in directory().refs.values()}
    return render_template("indicators/index.html", plan=plan, quarter=quarter, found=found, short_names=short_names,
                           trend=figures.criterion_trend(quarters, counted, today=today),
                           closest=kept("indicators", ("closest", found.day, version),
                                        lambda: closest_shown(found.day, 15)),
                           sample=counts.has_sample(),
                           band_labels=counts.BAND_LABELS, bands=counts.BANDS)


@bp.get("/districts")
def districts():
    """Each district's communes at the quarter's end: at the standard, the average, each criterion's count."""
    plan = plan_or_404()
    quarter = quarter_param(plan)
    this = Quarter(plan.year, quarter)
    today = local_today()
    day = figures.counted_to(this, today)
    before = {row.district.id: row for row in counts.districts_on(figures.counted_to(this.previous, today))}
    per_district = [i for i in figures.indicators_of(plan) if i.per_district]
    return render_template("indicators/districts.html", plan=plan, quarter=quarter, day=day,
                           running=not this.ended_by(day),
                           rows=counts.districts_on(day), before=before, criteria=counts.CRITERIA,
                           sample=counts.has_sample(), per_district=per_district, districts=all_districts(),
                           entered=figures.entered_values(plan, plan.year, quarter).districts)


@bp.get("/communes")
def communes():
    """The communes of a district (or all), with the criteria each meets at the quarter's end."""
    return render_communes()


def render_communes(form: CommunesFileForm | None = None, status: int = 200):
    """The communes page, with the office's file form (carrying its errors after a refused file)."""
    plan = plan_or_404()
    quarter = quarter_param(plan)
    this = Quarter(plan.year, quarter)
    day = figures.counted_to(this, local_today())
    district_id = int_arg("district")
    per = counts.criteria_met_per_commune(day)
    query = (sa.select(Commune, per.c.n).join(per, per.c.commune_id == Commune.id)
             .join(Agency, Agency.id == Commune.district_id)
             .options(contains_eager(Commune.district).selectinload(Agency.aliases)).order_by(per.c.n.desc(), Agency.sort_key, Commune.name))
    if district_id:
        query = query.where(Commune.district_id == district_id)
    only_close = request.args.get("close") == "1"
    if only_close:
        query = query.where(counts.close_to_standard(per.c.n))
    rows = db.session.execute(query).all()
    near = {n.commune.id: n.missing for n in counts.closest_communes(day, district_id or None)}
    if form is None and is_office(current_user):
        form = CommunesFileForm()
    return render_template("indicators/communes.html", plan=plan, quarter=quarter, day=day, rows=rows,
                           running=not this.ended_by(day),
                           districts=all_districts(), district_id=district_id, only_close=only_close, near=near,
                           sample=counts.has_sample(), form=form), status


def render_indicator(indicator: Indicator, form: FigureForm | None = None, status: int = 200,
                     responsible_form: ResponsibleForm | None = None):
    """An indicator's page: target, each quarter, the entries' history and evidence, and the forms."""
    plan = indicator.plan
    quarter = quarter_param(plan)
    today = local_today()
    rows = figures.indicator_by_quarter(indicator, plan.year, today)
    # The quarter still running on today, whose row is counted to today rather than to its end.
    running = {q.number: today for q in Quarter.of_year(plan.year) if q.begun_by(today) and not q.ended_by(today)}
    history = db.session.scalars(sa.select(IndicatorEntry).where(IndicatorEntry.indicator_id == indicator.id)
                                 .order_by(IndicatorEntry.id.desc())).all()
    files = {}
    for attachment in db.session.scalars(sa.select(Attachment).where(
            Attachment.entry_id.in_([e.id for e in history])).order_by(Attachment.id)):
        files.setdefault(attachment.entry_id, []).append(attachment)
    may_enter = can_enter_figure(current_user, indicator) and not indicator.computed
    if form is None and may_enter:
        form = FigureForm(quarter=quarter)
    if form is not None and indicator.per_district:
        form.district.choices = district_choices(current_user, indicator)
    if responsible_form is None and is_office(current_user):
        responsible_form = ResponsibleForm(agency=str(indicator.responsible_id or ""))
    if responsible_form is not None:
        responsible_form.agency.choices = responsible_choices()
    return render_template(
        "indicators/indicator.html", plan=plan, indicator=indicator, quarter=quarter, rows=rows, history=history,
        files=files, measure_labels=MEASURE_LABELS, group_labels=GROUP_LABELS, responsible_form=responsible_form,
        form=form, districts=all_districts() if indicator.per_district else [], today=today, running=running), status


def all_districts() -> list[Agency]:
    """The province's districts, in Vietnamese order."""
    return list(db.session.scalars(sa.select(Agency).where(Agency.level == "district").order_by(Agency.sort_key)))


def district_choices(user, indicator: Indicator) -> list[SelectChoice]:
    """The districts a user may enter a figure for: its own, or any for the office and the reporting body."""
    if own_district_only(user, indicator):
        return [SelectChoice(str(user.agency_id), user.agency.name)]
    return [SelectChoice("", _("— chọn huyện —"))] + [SelectChoice(str(d.id), d.name) for d in all_districts()]


@bp.get("/<int:indicator_id>")
def indicator_detail(indicator_id: int):
    """One indicator, quarter by quarter."""
    return render_indicator(indicator_or_404(indicator_id))


@bp.post("/<int:indicator_id>")
def enter(indicator_id: int):
    """The responsible body (or the office) enters a quarter's figure, with a note and evidence."""
    indicator = indicator_or_404(indicator_id)
    form = FigureForm()
    if can_enter_figure(current_user, indicator) and not form.validate_on_submit():
        return render_indicator(indicator, form, 400)
    try:
        entry = perform(ops.enter_figure, current_user, indicator, form.quarter.data, form.value.data, form.note.data,
                        local_today(), whole_id(form.district.data), form.attachments.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_indicator(indicator, form, 400)
    flash(_("Đã ghi số liệu quý %(quarter)s.", quarter=entry.quarter), "success")
    return redirect(url_for("indicators.indicator_detail", indicator_id=indicator.id,
                            year=indicator.plan.year, quarter=entry.quarter))


def whole_id(raw: str | None) -> int | None:
    """An id typed in a form's choice ("12"), or None for none or anything else."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def responsible_choices() -> list[SelectChoice]:
    """Every single body (never a group), and "none"."""
    return [SelectChoice("", _("— chưa giao —"))] + [SelectChoice(str(a.id), a.name) for a in db.session.scalars(
        sa.select(Agency).where(Agency.level != "group").order_by(Agency.level, Agency.sort_key))]


@bp.post("/<int:indicator_id>/responsible")
@office_required
def responsible(indicator_id: int):
    """The office changes the body that reports an indicator."""
    indicator = indicator_or_404(indicator_id)
    form = ResponsibleForm()
    form.agency.choices = responsible_choices()
    if not form.validate_on_submit():
        return render_indicator(indicator, status=400, responsible_form=form)
    try:
        agency = perform(ops.set_responsible, current_user, indicator, whole_id(form.agency.data))
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_indicator(indicator, status=400, responsible_form=form)
    flash(_("Đã giao chỉ tiêu cho %(name)s.", name=agency.name) if agency else _("Chỉ tiêu chưa giao cho cơ quan nào."),
          "success")
    return redirect(url_for("indicators.indicator_detail", indicator_id=indicator.id, year=indicator.plan.year))


def commune_or_404(commune_id: int) -> Commune:
    """A commune."""
    return db.get_or_404(Commune, commune_id, description=_("Không có xã này."))


def render_commune(commune: Commune, form: CriteriaForm | None = None, status: int = 200):
    """A commune's criteria today and their history, with the form for its district and the office."""
    today = local_today()
    met = counts.criteria_of(commune.id, today)
    if form is None and can_edit_commune(current_user, commune):
        form = CriteriaForm(since=today, met=[str(k) for k in sorted(met)])
    return render_template("indicators/commune.html", commune=commune, met=met, today=today, form=form,
                           history=criterion_history(commune), criteria=counts.CRITERIA,
                           names=_criterion_names()), status


def _criterion_names() -> dict[int, str]:
    """The criteria's names, from the latest plan's indicators."""
    rows = db.session.execute(sa.select(Indicator.criterion, Indicator.name).join(Plan, Plan.id == Indicator.plan_id)
                              .where(Indicator.measure == "criterion").order_by(Plan.year)).all()
    return {k: name for k, name in rows}


@bp.get("/communes/<int:commune_id>")
def commune_detail(commune_id: int):
    """One commune's criteria."""
    return render_commune(commune_or_404(commune_id))


@bp.post("/communes/<int:commune_id>")
def commune_update(commune_id: int):
    """The commune's district (or the office) records what it meets from a date on."""
    commune = commune_or_404(commune_id)
    form = CriteriaForm()
    if can_edit_commune(current_user, commune) and not form.validate_on_submit():
        return render_commune(commune, form, 400)
    try:
        changed = perform(ops.update_commune, current_user, commune, form.since.data, met_of(form), form.note.data,
                          local_today())
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_commune(commune, form, 400)
    flash(_("Đã ghi %(n)s thay đổi tiêu chí.", n=changed) if changed else _("Không có tiêu chí nào thay đổi."),
          "success")
    return redirect(url_for("indicators.commune_detail", commune_id=commune.id))


def met_of(form: CriteriaForm) -> set[int]:
    """The criteria ticked (the form has checked each is one of 1–19)."""
    return {int(k) for k in form.met.data or [] if k.isascii() and k.isdigit() and len(k) < 3}


@bp.post("/communes/import")
@office_required
def communes_import():
    """The office uploads the districts' communes file (CSV or XLSX): all of it is taken, or nothing."""
    form = CommunesFileForm()
    if not form.validate_on_submit():
        return render_communes(form, 400)
    try:
        summary = perform(ops.import_communes, current_user, form.file.data, local_today())
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_communes(form, 400)
    flash(_("Đã nhập %(communes)s xã (%(created)s xã mới), %(changes)s thay đổi tiêu chí.", communes=summary.communes,
            created=summary.created, changes=summary.changes), "success")
    return redirect(url_for("indicators.communes"))
