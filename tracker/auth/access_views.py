"""The office's page of access requests: people the province's directory vouched for whose department or district
the tracker does not know. Registered on the auth blueprint."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import show_errors
from ..operations import Conflict, Invalid, perform
from ..plan.models import Agency
from . import operations as ops
from .decorators import office_required
from .directory import open_requests
from .forms import AccessAnswerForm
from .models import DIRECTORY_LABELS, ROLE_LABELS, AccessRequest
from .views import bp


def _agency_choices() -> list[tuple[str, str]]:
    """Every body an account can belong to (not the groups), in Vietnamese alphabetical order."""
    names = db.session.scalars(sa.select(Agency.name).where(Agency.level != "group").order_by(Agency.sort_key))
    return [("", _("— chọn cơ quan —")), *((name, name) for name in names)]


def answer_form(request_: AccessRequest, posted: bool = False) -> AccessAnswerForm:
    """The form of one request's row (its own prefix: every row is a form of the same page); `posted` reads the
    request's form data."""
    form = AccessAnswerForm(prefix=f"r{request_.id}") if posted else AccessAnswerForm(prefix=f"r{request_.id}",
                                                                                       formdata=None)
    form.agency.choices = _agency_choices()
    return form


def render_requests(status: int = 200, answering: AccessAnswerForm | None = None, answered_id: int | None = None):
    """The open requests, each with its form (the one just posted keeps what was typed and its errors)."""
    requests_ = open_requests()
    forms = {r.id: answering if answering is not None and r.id == answered_id else answer_form(r)
             for r in requests_}
    return render_template("auth/access_requests.html", requests=requests_, forms=forms,
                           directory_labels=DIRECTORY_LABELS, role_labels=ROLE_LABELS), status


@bp.get("/admin/access-requests")
@login_required
@office_required
def access_requests():
    """The people who signed in with the directory but whose agency is unknown: the office names their agency or
    dismisses the request."""
    return render_requests()


@bp.post("/admin/access-requests/<int:request_id>")
@login_required
@office_required
def answer_access_request(request_id: int):
    """Answer one request: the directory's name becomes an alias of the chosen agency, or the request is dismissed."""
    request_ = db.get_or_404(AccessRequest, request_id)
    form = answer_form(request_, posted=True)
    if not form.validate_on_submit():
        return render_requests(400, form, request_.id)
    agency = form.agency.data if form.decision.data == "alias" else ""
    try:
        perform(ops.answer_access_request, current_user._get_current_object(), request_.id, agency)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_requests(400, form, request_.id)
    except Conflict as refused:  # answered meanwhile in another tab or by a colleague
        flash(refused.message, "error")
        return redirect(url_for("auth.access_requests"))
    if agency:
        flash(_("Đã ghi «%(name)s» là tên gọi khác của %(agency)s; %(person)s đăng nhập được rồi.",
                name=request_.agency_text, agency=agency, person=request_.name or request_.email), "success")
    else:
        flash(_("Đã bỏ qua yêu cầu của %(person)s.", person=request_.name or request_.email), "success")
    return redirect(url_for("auth.access_requests"))
