"""Downloads: the quarterly report (XLSX, DOCX, CSV) and the calendar feeds."""
from __future__ import annotations

from flask_babel import gettext as _
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, send_file,
                   stream_with_context, url_for)

from flask_login import current_user

from ..auth.decorators import office_required
from ..auth.services import user_for_calendar
from ..changes import data_version
from ..clock import BAD_DATE, local_today, parse_date, utcnow
from ..extensions import db
from ..plan.models import Agency, Plan
from ..plan.views import plan_or_404
from ..quarters import Quarter
from ..forms import show_errors
from ..operations import Invalid, perform
from . import operations as ops
from .calendar import calendar_feed
from .forms import LetterheadForm
from .letterhead import printed, settings_or_defaults
from ..web import int_arg
from .quarterly import Period, quarterly_report
from .spreadsheet import csv_rows, write_xlsx

bp = Blueprint("exports", __name__)

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
}


def period_param(plan: Plan) -> Period:
    """?quarter=1..4 (of the plan's year), or ?as_of=YYYY-MM-DD, or the current quarter; 400 when malformed."""
    if request.args.get("as_of"):
        as_of = parse_date(request.args["as_of"])
        if as_of is None:
            abort(400, description=f"«{request.args['as_of'][:20]}»: {BAD_DATE}")
        return Period.of_date(as_of)
    raw = request.args.get("quarter")
    if raw is None:
        today = local_today()
        return Period.of_quarter(plan.year, Quarter.of(today).number if today.year == plan.year else 4, today)
    quarter = int_arg("quarter")
    if quarter not in (1, 2, 3, 4):
        abort(400, description=_("Quý phải là 1, 2, 3 hoặc 4."))
    return Period.of_quarter(plan.year, quarter, local_today())


def quarterly_download(fmt: str) -> Response:
    """The quarterly report of the plan asked for (?year=), in one format, as an attachment."""
    if fmt not in MEDIA:
        abort(404, description=_("Định dạng báo cáo phải là xlsx, docx hoặc csv."))
    plan = plan_or_404()
    period = period_param(plan)
    report = quarterly_report(plan, period)
    name = f"bao-cao-quy-{period.quarter}-{period.year}"
    if fmt == "xlsx":  # written to a temporary file and streamed from it: a worker never holds it whole
        return send_file(write_xlsx(report), mimetype=MEDIA[fmt], as_attachment=True, download_name=f"{name}.xlsx")
    if fmt == "csv":
        lines = request.args.get("rows") == "lines"
        name += "-dong" if lines else "-cong-viec"
        body = stream_with_context(csv_rows(report, lines))
    else:
        # Imported here: python-docx and lxml stay out of a worker until someone asks for a Word report.
        from .word import write_docx

        body = write_docx(report)
    response = Response(body, mimetype=MEDIA[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.get("/reports/quarterly.<fmt>")
def quarterly(fmt: str):
    """The quarterly report: ?year=&quarter= or ?as_of=; for CSV, ?rows=lines for the bodies' lines."""
    return quarterly_download(fmt)


@bp.route("/reports/letterhead", methods=["GET", "POST"])
@office_required
def letterhead():
    """The office sets, once, who issues the quarterly report, its symbol, recipients and signatory."""
    current = settings_or_defaults()
    form = LetterheadForm(obj=current)
    if form.validate_on_submit():
        try:
            perform(ops.set_letterhead, current_user, form.values())
            flash(_("Đã lưu thể thức báo cáo quý."), "success")
            return redirect(url_for("exports.letterhead"))
        except Invalid as refused:
            show_errors(form, refused.errors)
    today = local_today()
    return render_template("exports/letterhead.html", form=form, head=printed(current), today=today,
                           quarter=Quarter.of(today).number), 400 if form.errors else 200


@bp.get("/calendar/<secret>.ics")
def calendar(secret: str):
    """A user's calendar feed at a secret address, for Outlook and Google Calendar: ?agency= for one agency."""
    if user_for_calendar(secret) is None:
        abort(404, description=_("Địa chỉ lịch không đúng hoặc đã bị thu hồi."))
    plan = plan_or_404()
    agency = None
    if request.args.get("agency"):
        agency_id = int_arg("agency")
        agency = db.session.get(Agency, agency_id) if agency_id else None
        if agency is None:
            abort(404, description=_("Không có cơ quan này."))
    # Calendar apps ask again every few hours: unless a write happened since, they get 304 at once.
    etag = f"{plan.id}-{agency.id if agency else 0}-{'-'.join(map(str, data_version()))}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(calendar_feed(plan, agency, utcnow()), mimetype="text/calendar")
        response.headers["Content-Disposition"] = 'inline; filename="han-cong-viec.ics"'
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, max-age=900"
    return response
