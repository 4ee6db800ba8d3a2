"""The API of reporting and reminders: a round and its submissions, submitting and sending back, ad-hoc rounds,
the quarterly policy, the outbox, the reminder settings, one's own reminder choices, the report's letterhead.

Each change goes through the same operation as its page (tracker/reporting, reminders and exports
operations.py) and is checked by the page's own form; the permissions are the pages'.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ..auth.policy import can_submit_report, require_office
from ..clock import local_today, utcnow
from ..exports import operations as export_ops
from ..exports.forms import LetterheadForm
from ..exports.letterhead import DEFAULTS, settings_or_defaults
from ..extensions import db
from ..files.models import Attachment
from ..operations import NotAllowed, NotFound, perform
from ..plan.views import plan_or_404
from ..reminders import operations as reminder_ops
from ..reminders.forms import PreferencesForm, SettingsApiForm
from ..reminders.models import OUTBOX_STATES, RULES, OutboxMessage, ReminderOptOut
from ..reminders.planner import forced_rules, settings
from ..reporting import operations as ops
from ..reporting.forms import AdhocRoundForm, PolicyForm, ReturnForm, SubmitForm
from ..reporting.models import ReportingRound, Submission
from ..reporting.services import body_state, policy_of
from .lists import ROUND, round_summary_json
from .paging import paginate
from .progress import ATTACHMENT, attachment_json
from .spec import component, documented, nullable, paged, query_param, read_json, read_multipart
from .views import _YEAR, api_user, bp, iso

_DATE = {"type": "string", "format": "date"}
_MOMENT = {"type": "string", "format": "date-time"}
_STATES = ["on_time", "late", "returned", "missing", "overdue"]
SUBMISSION = component("Submission", {
    "type": "object",
    "required": ["id", "round_id", "agency", "status", "state", "body", "submitted_on", "submitted_at", "submitted_by",
                 "return_reason", "returned_at", "times_returned", "attachments"],
    "properties": {"id": {"type": "integer"}, "round_id": {"type": "integer"}, "agency": {"type": "string"},
                   "status": {"type": "string", "enum": ["submitted", "returned"]},
                   "state": {"type": "string", "enum": _STATES}, "body": {"type": "string"},
                   "submitted_on": _DATE, "submitted_at": _MOMENT, "submitted_by": nullable({"type": "string"}),
                   "return_reason": nullable({"type": "string"}), "returned_at": nullable(_MOMENT),
                   "times_returned": {"type": "integer", "minimum": 0},
                   "attachments": {"type": "array", "items": ATTACHMENT}},
    "description": "A body's report for a round; `state` is the body's standing on the round today."})
ROUND_DETAIL = component("RoundWithSubmissions", {"allOf": [ROUND, {
    "type": "object", "required": ["note", "submissions"],
    "properties": {"note": {"type": "string"}, "submissions": {"type": "array", "items": SUBMISSION}}}]})
POLICY = component("ReportingPolicy", {
    "type": "object", "required": ["plan", "cutoff_day", "due_day", "levels", "recipient"],
    "properties": {"plan": {"type": "integer"}, "cutoff_day": {"type": "integer", "minimum": 1, "maximum": 31},
                   "due_day": {"type": "integer", "minimum": 1, "maximum": 31},
                   "levels": {"type": "string", "examples": ["department,district"]}, "recipient": {"type": "string"}}})
MESSAGE = component("OutboxMessage", {
    "type": "object",
    "required": ["id", "to", "recipient", "subject", "status", "attempts", "created_at", "next_attempt_at", "sent_at",
                 "last_error"],
    "properties": {"id": {"type": "integer"}, "to": {"type": "string"}, "recipient": nullable({"type": "string"}),
                   "subject": {"type": "string"}, "status": {"type": "string", "enum": list(OUTBOX_STATES)},
                   "attempts": {"type": "integer"}, "created_at": _MOMENT, "next_attempt_at": _MOMENT,
                   "sent_at": nullable(_MOMENT), "last_error": {"type": "string"}}})
REMINDER_SETTINGS = component("ReminderSettings", {
    "type": "object",
    "required": ["before_days", "overdue_notice", "digest_weekday", "nudge_days", "catch_up_days", "holidays"],
    "properties": {"before_days": {"type": "string", "examples": ["7,3,1"]}, "overdue_notice": {"type": "boolean"},
                   "digest_weekday": {"type": "integer", "minimum": 0, "maximum": 6},
                   "nudge_days": {"type": "integer"}, "catch_up_days": {"type": "integer"},
                   "holidays": {"type": "string"}}})
PREFERENCES = component("ReminderPreferences", {
    "type": "object", "required": [*RULES, "forced"],
    "properties": {**{rule: {"type": "boolean"} for rule in RULES},
                   "forced": {"type": "array", "items": {"type": "string", "enum": list(RULES)}}},
    "description": "Each rule: whether the account receives it; `forced`: the rules it cannot turn off."})
LETTERHEAD = component("Letterhead", {
    "type": "object", "required": list(DEFAULTS), "properties": {name: {"type": "string"} for name in DEFAULTS},
    "description": "What the quarterly report prints at its head and foot (Decree 30/2020/NĐ-CP, Appendix I)."})

_OFFICE_ONLY = (403,)


# --- rounds and submissions ------------------------------------------------------------------------------------

def _round(round_id: int) -> ReportingRound:
    round_ = db.session.get(ReportingRound, round_id)
    if round_ is None:
        raise NotFound(_("Không có kỳ báo cáo này."))
    return round_


def _files(submission_ids: list[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {i: [] for i in submission_ids}
    if submission_ids:
        for attachment in db.session.scalars(sa.select(Attachment).where(Attachment.submission_id.in_(submission_ids))
                                             .options(joinedload(Attachment.uploaded_by)).order_by(Attachment.id)):
            found[attachment.submission_id].append(attachment)
    return found


def submission_json(submission: Submission, files: list[Attachment], today) -> dict:
    """A body's submission as the API shows it, with its files and its state on the round today."""
    return {"id": submission.id, "round_id": submission.round_id, "agency": submission.agency.name,
            "status": submission.status, "state": body_state(submission.round, submission.agency_id, today),
            "body": submission.body, "submitted_on": submission.submitted_on.isoformat(),
            "submitted_at": iso(submission.submitted_at),
            "submitted_by": submission.submitted_by.display_name if submission.submitted_by else None,
            "return_reason": submission.return_reason or None, "returned_at": iso(submission.returned_at),
            "times_returned": submission.times_returned, "attachments": [attachment_json(a) for a in files]}


def round_json(round_: ReportingRound) -> dict:
    """A round with each body's state and every submission in full."""
    today = local_today()
    files = _files([s.id for s in round_.submissions])
    return {**round_summary_json(round_, today), "note": round_.note or "",
            "submissions": [submission_json(s, files[s.id], today) for s in round_.submissions]}


def _round_response(round_: ReportingRound, status: int = 200):
    response = jsonify(round_json(round_))
    response.status_code = status
    if status == 201:
        response.headers["Location"] = url_for("api.reporting_round", round_id=round_.id)
    return response


@bp.get("/rounds/<int:round_id>")
@documented("One reporting round", tag="Rounds",
            responses={200: {"description": "The round, each body's state and every submission with its files.",
                             "schema": ROUND_DETAIL}})
def reporting_round(round_id: int):
    """A round with who owes it, each body's state today (on time, late, returned, missing, overdue) and every
    submission with its text and files."""
    return _round_response(_round(round_id))


@bp.get("/rounds/<int:round_id>/submissions")
@documented("A round's submissions", tag="Rounds", is_paged=True,
            responses={200: {"description": "In the order submitted.", "schema": paged(SUBMISSION)}})
def round_submissions(round_id: int):
    """The submissions of a round, each with its text, state, return reason and files (ids to send one back by)."""
    round_ = _round(round_id)
    today = local_today()
    query = (sa.select(Submission).where(Submission.round_id == round_.id)
             .options(joinedload(Submission.agency), joinedload(Submission.submitted_by),
                      joinedload(Submission.round).selectinload(ReportingRound.submissions))
             .order_by(Submission.id))

    def render(found) -> list[dict]:
        found = list(found)
        files = _files([s.id for s in found])
        return [submission_json(s, files[s.id], today) for s in found]

    return paginate(query, render)


@bp.post("/rounds")
@documented("Open an ad-hoc round (office)", tag="Rounds", body=AdhocRoundForm, query=[_YEAR],
            example={"title": "Báo cáo đột xuất về vốn", "due_on": "2021-06-30", "bodies": "Sở KH&ĐT\nSở Tài chính",
                     "note": "Số liệu giải ngân đến 15/6"},
            responses={201: {"description": "The round opened.", "schema": ROUND_DETAIL}}, errors=_OFFICE_ONLY)
def post_round():
    """The office opens an ad-hoc round of the plan (?year=, the latest by default): `bodies` names each body or
    group one a line (or separated by «;»), by name or short name; a group owes through its members."""
    plan = plan_or_404()
    require_office(api_user())
    form = read_json(AdhocRoundForm)
    round_ = perform(ops.open_round, api_user(), plan, form.title.data, form.due_on.data, form.bodies.data,
                     local_today(), form.note.data or "")
    return _round_response(round_, 201)


@bp.post("/rounds/<int:round_id>/submissions")
@documented("Submit a body's report", tag="Rounds", body=SubmitForm, multipart=True,
            responses={201: {"description": "The submission as stored, with its files.", "schema": SUBMISSION}},
            errors=(403,))
def post_submission(round_id: int):
    """The officer's own body submits its report for a round it owes, as multipart/form-data: `body` (the text)
    and any number of `attachments` (PDF, DOCX, XLSX, PNG or JPG). Once submitted it is final until the office
    sends it back; then the same call submits again."""
    round_ = _round(round_id)
    user = api_user()
    if not can_submit_report(user, round_):
        raise NotAllowed(_("Chỉ cơ quan phải nộp mới nộp được báo cáo kỳ này."))
    form = read_multipart(SubmitForm)
    submission = perform(ops.submit, user, round_, form.body.data, local_today(),
                         request.files.getlist("attachments"))
    files = _files([submission.id])[submission.id]
    response = jsonify(submission_json(submission, files, local_today()))
    response.status_code = 201
    response.headers["Location"] = url_for("api.reporting_round", round_id=round_.id)
    return response


@bp.post("/submissions/<int:submission_id>/return")
@documented("Send a report back (office)", tag="Rounds", body=ReturnForm,
            example={"reason": "Thiếu số liệu giải ngân quý I"},
            responses={200: {"description": "The submission, now returned.", "schema": SUBMISSION}},
            errors=_OFFICE_ONLY)
def return_submission(submission_id: int):
    """The office sends a submitted report back with its reason; the body submits again in the same place."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(_("Không có báo cáo này."))
    require_office(api_user())
    form = read_json(ReturnForm)
    perform(ops.send_back, api_user(), submission, form.reason.data)
    return jsonify(submission_json(submission, _files([submission.id])[submission.id], local_today()))


# --- the quarterly policy ---------------------------------------------------------------------------------------

def _policy_json(plan) -> dict:
    policy = policy_of(plan)
    return {"plan": plan.year, "cutoff_day": policy.cutoff_day, "due_day": policy.due_day, "levels": policy.levels,
            "recipient": policy.recipient}


@bp.get("/reporting-policy")
@documented("The quarterly reporting policy (office)", tag="Rounds", query=[_YEAR],
            responses={200: {"description": "The plan's policy (the defaults until the office saves one).",
                             "schema": POLICY}}, errors=_OFFICE_ONLY)
def reporting_policy():
    """When the plan's quarterly reports are counted and due (days of the quarter's last month) and which levels
    owe them."""
    plan = plan_or_404()
    require_office(api_user())
    return jsonify(_policy_json(plan))


@bp.put("/reporting-policy")
@documented("Change the quarterly reporting policy (office)", tag="Rounds", body=PolicyForm, query=[_YEAR],
            example={"cutoff_day": 14, "due_day": 18, "levels": "department,district"},
            responses={200: {"description": "The policy as saved.", "schema": POLICY}}, errors=_OFFICE_ONLY,
            etag_from="api.reporting_policy")
def put_reporting_policy():
    """The office sets the cut-off and due days and the levels (`department`, `district`, `province`, separated by
    commas); the quarterly rounds not yet due follow, those past their due date keep their dates."""
    plan = plan_or_404()
    require_office(api_user())
    form = read_json(PolicyForm)
    perform(ops.set_policy, api_user(), plan, form.cutoff_day.data, form.due_day.data, form.levels.data, local_today())
    return jsonify(_policy_json(plan))


# --- the outbox -------------------------------------------------------------------------------------------------

def message_json(message: OutboxMessage) -> dict:
    """A queued or sent e-mail as the office's outbox lists it."""
    return {"id": message.id, "to": message.to_address,
            "recipient": message.recipient.email if message.recipient else None, "subject": message.subject,
            "status": message.status, "attempts": message.attempts, "created_at": iso(message.created_at),
            "next_attempt_at": iso(message.next_attempt_at), "sent_at": iso(message.sent_at),
            "last_error": message.last_error or ""}


_STATUS = query_param("status", {"type": "string", "enum": ["", *OUTBOX_STATES]}, "Only messages in this state.")


@bp.get("/messages")
@documented("The outbox (office)", tag="Reminders", is_paged=True, query=[_STATUS],
            responses={200: {"description": "Newest first.", "schema": paged(MESSAGE)}}, errors=_OFFICE_ONLY)
def messages():
    """Every queued or sent e-mail, newest first; ?status= for one state (`unconfirmed` and `failed` may be sent
    again)."""
    require_office(api_user())
    status = request.args.get("status", "").strip()
    query = sa.select(OutboxMessage).options(selectinload(OutboxMessage.recipient)).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate(query, lambda found: [message_json(m) for m in found])


@bp.post("/messages/<int:message_id>/send-again")
@documented("Send a message again (office)", tag="Reminders",
            responses={200: {"description": "The message, queued again with the same Message-ID.", "schema": MESSAGE}},
            errors=(403, 409))
def send_message_again(message_id: int):
    """The office queues again a message whose delivery is unconfirmed or failed; any other state is a 409."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("Không có thư này."))
    perform(reminder_ops.send_again, api_user(), message, utcnow())
    return jsonify(message_json(message))


# --- reminder settings and one's own choice ---------------------------------------------------------------------

def _settings_json() -> dict:
    current = settings()
    return {"before_days": current.before_days, "overdue_notice": bool(current.overdue_notice),
            "digest_weekday": current.digest_weekday, "nudge_days": current.nudge_days,
            "catch_up_days": current.catch_up_days, "holidays": current.holidays or ""}


@bp.get("/reminder-settings")
@documented("The reminder settings (office)", tag="Reminders",
            responses={200: {"description": "The office's settings.", "schema": REMINDER_SETTINGS}}, errors=_OFFICE_ONLY)
def reminder_settings():
    """Days before a deadline to remind, the overdue notice, the weekly digest's weekday (0 Monday), the nudge after
    days without an update, the catch-up window, and the office's own days off (one a line)."""
    require_office(api_user())
    return jsonify(_settings_json())  # a first read adds the row of defaults, never committed by a read


@bp.put("/reminder-settings")
@documented("Change the reminder settings (office)", tag="Reminders", body=SettingsApiForm,
            example={"before_days": "7,3,1", "overdue_notice": True, "digest_weekday": 0, "nudge_days": 30,
                     "catch_up_days": 14, "holidays": "2021-02-15\n+2021-02-20"},
            responses={200: {"description": "The settings as saved.", "schema": REMINDER_SETTINGS}},
            errors=_OFFICE_ONLY, etag_from="api.reminder_settings")
def put_reminder_settings():
    """The office's settings, whole: `holidays` one a line, MM-DD every year, YYYY-MM-DD once, +YYYY-MM-DD a
    working day; a list that leaves no working day is refused."""
    require_office(api_user())
    form = read_json(SettingsApiForm)
    perform(reminder_ops.save_settings, api_user(), **form.values(), today=local_today())
    return jsonify(_settings_json())


def _preferences_json(user) -> dict:
    opted = set(db.session.scalars(sa.select(ReminderOptOut.rule).where(ReminderOptOut.user_id == user.id)))
    forced = forced_rules(user)
    return {**{rule: rule in forced or rule not in opted for rule in RULES}, "forced": sorted(forced)}


@bp.get("/me/reminder-preferences")
@documented("My reminder choices", tag="Reminders",
            responses={200: {"description": "Each rule on or off.", "schema": PREFERENCES}})
def reminder_preferences():
    """Which reminders the token's account receives, and those it cannot turn off."""
    return jsonify(_preferences_json(api_user()))


@bp.put("/me/reminder-preferences")
@documented("Choose my reminders", tag="Reminders", body=PreferencesForm,
            example={"task_due_soon": True, "task_overdue": True, "round_due_soon": True, "round_overdue": True,
                     "overdue_digest": False, "nudge": False, "report_returned": True},
            responses={200: {"description": "The choice as kept.", "schema": PREFERENCES}}, errors=(403,),
            etag_from="api.reminder_preferences")
def put_reminder_preferences():
    """The account's whole choice: a rule given as true is received, any other is turned off (the office's overdue
    notices and digest stay on whatever it sends)."""
    form = read_json(PreferencesForm)
    perform(reminder_ops.choose_reminders, api_user(), form.wanted())
    return jsonify(_preferences_json(api_user()))


# --- the letterhead ---------------------------------------------------------------------------------------------

def _letterhead_json() -> dict:
    current = settings_or_defaults()
    return {name: getattr(current, name) or "" for name in DEFAULTS}


@bp.get("/letterhead")
@documented("The quarterly report's letterhead (office)", tag="Reports",
            responses={200: {"description": "As saved (the defaults until the office saves one).",
                             "schema": LETTERHEAD}}, errors=_OFFICE_ONLY)
def letterhead():
    """Who issues the quarterly report, its symbol and place, recipients (one a line), filing line and signatory."""
    require_office(api_user())
    return jsonify(_letterhead_json())


@bp.put("/letterhead")
@documented("Change the letterhead (office)", tag="Reports", body=LetterheadForm,
            example={"parent_body": "UBND tỉnh Lạng Sơn", "issuing_body": "Văn phòng Điều phối nông thôn mới tỉnh",
                     "symbol": "BC-VPĐP", "place": "Lạng Sơn", "recipients": "UBND tỉnh (b/c);\nCác sở, ngành;",
                     "filing": "Lưu: VT, TH.", "authority": "", "signer_title": "Chánh Văn phòng",
                     "signer_name": "Nguyễn Văn An"},
            responses={200: {"description": "The letterhead as saved.", "schema": LETTERHEAD}}, errors=_OFFICE_ONLY,
            etag_from="api.letterhead")
def put_letterhead():
    """The office's letterhead, whole, checked as on its page (a symbol «BC-…», a filing line «Lưu: …», an authority
    TM./KT./TL./TUQ./Q. or blank); every quarterly report prints it from then on."""
    require_office(api_user())
    form = read_json(LetterheadForm)
    perform(export_ops.set_letterhead, api_user(), form.values())
    return jsonify(_letterhead_json())
