"""The API of accounts: who I am, my language, my tokens and calendar address; the office's accounts and invitations.

Passwords are not changed here, nor does anyone sign in or out: a token must not take over the password that
protects its account.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..auth import operations as ops
from ..auth.forms import AccessAnswerApiForm, NewUserApiForm, ProfileApiForm, TokenForm, UserApiForm
from ..auth.invitations import INVITATION_HOURS
from ..auth.models import DIRECTORY_LABELS, ROLES, AccessRequest, ApiToken, User
from ..auth.policy import manages_accounts
from .. import audit
from ..clock import parse_iso_date, zone
from ..extensions import db
from ..i18n import LANGUAGES
from ..operations import Conflict, Invalid, NotAllowed, NotFound, perform
from .errors import Problem
from .paging import paginate
from .spec import component, documented, nullable, paged, query_param, read_json
from .views import api_user, bp, iso

_MOMENT = {"type": "string", "format": "date-time"}
USER = component("User", {
    "type": "object", "required": ["id", "email", "name", "display_name", "agency", "role", "active", "language",
                                   "created_at"],
    "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
                   "display_name": {"type": "string"},
                   "agency": {"type": "object", "required": ["id", "name"],
                              "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                   "role": {"type": "string", "enum": list(ROLES)}, "active": {"type": "boolean"},
                   "language": nullable({"type": "string", "enum": list(LANGUAGES)}), "created_at": _MOMENT},
    "description": "An account: one agency, one role. `language` is null until its owner picks one."})
ME = component("Me", {"allOf": [USER, {
    "type": "object", "required": ["calendar"],
    "properties": {"calendar": {"type": "boolean", "description": "Whether a calendar address is live."}}}]})
TOKEN = component("ApiToken", {
    "type": "object", "required": ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "prefix": {"type": "string", "description": "The secret's first characters, to recognise it."},
                   "created_at": _MOMENT, "last_used_at": nullable(_MOMENT), "revoked_at": nullable(_MOMENT)},
    "description": "One of my tokens; its secret is never shown again."})
NEW_TOKEN = component("NewApiToken", {"allOf": [TOKEN, {
    "type": "object", "required": ["secret"],
    "properties": {"secret": {"type": "string", "description": "The bearer token, shown this once (`trk_…`)."}}}]})
CALENDAR = component("CalendarAddress", {
    "type": "object", "required": ["url", "agency_url"],
    "properties": {"url": {"type": "string", "description": "The whole plan's deadlines (ICS), shown this once."},
                   "agency_url": {"type": "string", "description": "My agency's deadlines only."}}})
INVITATION = component("Invitation", {
    "type": "object", "required": ["email", "valid_hours"],
    "properties": {"email": {"type": "string"}, "valid_hours": {"type": "integer"}}})


def user_json(user: User) -> dict:
    """An account as the API shows it (never its password or secrets)."""
    return {"id": user.id, "email": user.email, "name": user.name or "", "display_name": user.display_name,
            "agency": {"id": user.agency.id, "name": user.agency.name}, "role": user.role, "active": user.active,
            "language": user.language, "created_at": iso(user.created_at)}


def token_json(token: ApiToken) -> dict:
    """A token as its owner sees it listed: no secret, no hash."""
    return {"id": token.id, "name": token.name or "", "prefix": token.prefix, "created_at": iso(token.created_at),
            "last_used_at": iso(token.last_used_at), "revoked_at": iso(token.revoked_at)}


def _me_json() -> dict:
    me = api_user()
    return {**user_json(me), "calendar": me.calendar_token_hash is not None}


def _office() -> None:
    """The office's endpoints answer others 403 before reading anything (as the pages do)."""
    if not manages_accounts(api_user()):
        raise NotAllowed(_("Chỉ Văn phòng Điều phối thực hiện việc này."))


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không có tài khoản này."))
    return user


# --- me ----------------------------------------------------------------------------------------------------------

@bp.get("/me")
@documented("Who I am", tag="Accounts", responses={200: {"description": "The token's account.", "schema": ME}})
def me():
    """The account this token (or session) acts for: name, e-mail, agency, role and language."""
    return jsonify(_me_json())


@bp.put("/me")
@documented("Change my language", tag="Accounts", errors=(403,), etag_from="api.me", body=ProfileApiForm, example={"language": "en"},
            responses={200: {"description": "My account as changed.", "schema": ME}})
def put_me():
    """My interface and mail language (`vi` or `en`), as the switch in every page's header sets it. Names,
    roles and agencies are the office's to change; passwords are changed on the profile page only."""
    form = read_json(ProfileApiForm)
    perform(ops.set_language, api_user(), form.language.data)
    return jsonify(_me_json())


@bp.get("/me/tokens")
@documented("My API tokens", tag="Accounts", is_paged=True,
            responses={200: {"description": "Oldest first, revoked ones too; never a secret.", "schema": paged(TOKEN)}})
def my_tokens():
    """My tokens with when each was last used and whether it was revoked."""
    query = sa.select(ApiToken).where(ApiToken.user_id == api_user().id).order_by(ApiToken.id)
    return paginate(query, lambda found: [token_json(t) for t in found])


@bp.post("/me/tokens")
@documented("Create an API token", tag="Accounts", errors=(403,), body=TokenForm, example={"name": "phần mềm báo cáo"},
            responses={201: {"description": "The token, with its secret shown this once.", "schema": NEW_TOKEN}})
def post_token():
    """A new token of my own (the name is optional); keep the `secret`: it is never shown again."""
    form = read_json(TokenForm)
    token, secret = perform(ops.create_token, api_user(), form.name.data or "")
    return jsonify({**token_json(token), "secret": secret}), 201


@bp.delete("/me/tokens/<int:token_id>")
@documented("Revoke one of my tokens", tag="Accounts", errors=(403,),
            responses={204: {"description": "Revoked (or already was); another's token is a 404."}})
def delete_token(token_id: int):
    """The token stops working at once, the one making this call included."""
    perform(ops.revoke_token, api_user(), token_id)
    return "", 204


@bp.post("/me/calendar")
@documented("Create my calendar address", tag="Accounts", errors=(403,),
            responses={201: {"description": "The new addresses, shown this once; an earlier one stops working.",
                             "schema": CALENDAR}})
def post_calendar():
    """A secret ICS address of my own for Outlook or Google Calendar (whoever has it can read the calendar)."""
    secret = perform(ops.create_calendar, api_user())
    return jsonify({"url": url_for("exports.calendar", secret=secret, _external=True),
                    "agency_url": url_for("exports.calendar", secret=secret, agency=api_user().agency_id,
                                          _external=True)}), 201


@bp.delete("/me/calendar")
@documented("Revoke my calendar address", tag="Accounts", errors=(403,),
            responses={204: {"description": "The address stops working (if there was one)."}})
def delete_calendar():
    """My calendar address stops working; calendars subscribed to it stop updating."""
    perform(ops.revoke_calendar, api_user())
    return "", 204


# --- the office's accounts ----------------------------------------------------------------------------------------

@bp.get("/users")
@documented("Every account (office)", tag="Accounts", is_paged=True, errors=(403,),
            responses={200: {"description": "By e-mail.", "schema": paged(USER)}})
def users():
    """The accounts, by e-mail, with their agency, role and whether each is active."""
    _office()
    query = sa.select(User).options(joinedload(User.agency)).order_by(User.email, User.id)
    response = paginate(query, lambda found: [user_json(u) for u in found])
    # Personal data leaving the tracker in bulk: the record notes who took which page.
    perform(ops.export_accounts, api_user(), request.args.get("page", "1")[:10])
    return response


_NEW_USER = {"email": "canbo@soyte.langson.gov.vn", "name": "Nguyễn Thị Hoa", "agency": "Sở Y tế",
             "role": "officer", "active": True}


@bp.post("/users")
@documented("Create an account (office)", tag="Accounts", body=NewUserApiForm, example=_NEW_USER, errors=(403,),
            responses={201: {"description": "The account; without a password, an invitation is queued to it.",
                             "schema": USER}})
def post_user():
    """The office opens an account in an agency (any of its names or aliases). Without `password` the person is
    mailed an invitation to set their own, valid 72 hours (the account must then be `active`)."""
    _office()
    form = read_json(NewUserApiForm)
    user = perform(ops.create_user, api_user(), email=form.email.data, name=form.name.data or "",
                   agency=form.agency.data, role=form.role.data, active=form.active.data,
                   password=form.password.data or "")
    response = jsonify(user_json(user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.user", user_id=user.id)
    return response


@bp.get("/users/<int:user_id>")
@documented("One account (office)", tag="Accounts", errors=(403,),
            responses={200: {"description": "The account.", "schema": USER}})
def user(user_id: int):
    """One account by its id."""
    _office()
    return jsonify(user_json(_user(user_id)))


@bp.put("/users/<int:user_id>")
@documented("Change an account (office)", tag="Accounts", body=UserApiForm, errors=(403,), etag_from="api.user",
            example={**_NEW_USER, "role": "leader", "password": None},
            responses={200: {"description": "The account as saved.", "schema": USER}})
def put_user(user_id: int):
    """The office changes an account's e-mail, agency, name, role, password and whether it is active; `name`,
    `role`, `active` and `password` left out are kept (a blank password too). Nobody may take the office's rights
    from their own account."""
    _office()
    account = _user(user_id)
    form = read_json(UserApiForm, name=account.name, role=account.role, active=account.active)
    perform(ops.update_user, api_user(), account, email=form.email.data, name=form.name.data or "",
            agency=form.agency.data, role=form.role.data, active=form.active.data, password=form.password.data or "")
    return jsonify(user_json(account))


@bp.post("/users/<int:user_id>/invitation")
@documented("Send an account an invitation (office)", tag="Accounts", errors=(403, 409),
            responses={202: {"description": "Queued: the outbox mails it once this call has committed.",
                             "schema": INVITATION}})
def post_invitation(user_id: int):
    """The office mails an active account a new link to set its password, valid 72 hours; the current password
    works until the person sets a new one. A locked account is a 409: unlock it first (PUT, `active`)."""
    _office()
    account = _user(user_id)
    try:
        perform(ops.invite, api_user(), account)
    except Conflict as refused:
        raise Problem(409, refused.message) from None
    return jsonify({"email": account.email, "valid_hours": INVITATION_HOURS}), 202


# --- access requests: people the directory vouched for whose agency is unknown -----------------------------------

ACCESS_REQUEST = component("AccessRequest", {
    "type": "object", "required": ["id", "directory", "login", "email", "name", "agency_text", "role", "attempts",
                                   "first_at", "last_at", "closed_at"],
    "properties": {"id": {"type": "integer"}, "directory": {"type": "string", "enum": list(DIRECTORY_LABELS)},
                   "login": {"type": "string", "description": "Who they are there: the entry's DN, or the subject."},
                   "email": {"type": "string"}, "name": {"type": "string"},
                   "agency_text": {"type": "string", "description": "The department or district as the directory "
                                                                    "names it."},
                   "role": {"type": "string", "enum": list(ROLES), "description": "The role its groups give."},
                   "attempts": {"type": "integer"}, "first_at": _MOMENT, "last_at": _MOMENT,
                   "closed_at": nullable(_MOMENT)},
    "description": "Someone the province's directory vouched for, refused because the tracker does not know their "
                   "agency by the directory's name."})


def access_request_json(request_: AccessRequest) -> dict:
    """An access request as the API shows it."""
    return {"id": request_.id, "directory": request_.directory, "login": request_.login, "email": request_.email,
            "name": request_.name, "agency_text": request_.agency_text, "role": request_.role,
            "attempts": request_.attempts, "first_at": iso(request_.first_at), "last_at": iso(request_.last_at),
            "closed_at": iso(request_.closed_at)}


@bp.get("/access-requests")
@documented("Open access requests (office)", tag="Accounts", is_paged=True, errors=(403,),
            responses={200: {"description": "The requests not yet answered, latest attempt first.",
                             "schema": paged(ACCESS_REQUEST)}})
def access_requests():
    """People who signed in with the directory whose department or district the tracker does not know by the
    directory's name, as on the page *Yêu cầu truy cập*."""
    _office()
    query = (sa.select(AccessRequest).where(AccessRequest.closed_at.is_(None))
             .order_by(AccessRequest.last_at.desc(), AccessRequest.id.desc()))
    return paginate(query, lambda found: [access_request_json(r) for r in found])


@bp.post("/access-requests/<int:request_id>")
@documented("Answer an access request (office)", tag="Accounts", body=AccessAnswerApiForm, errors=(403, 409),
            example={"decision": "alias", "agency": "Sở NN&PTNT"},
            responses={200: {"description": "The request, answered.", "schema": ACCESS_REQUEST}})
def answer_access_request(request_id: int):
    """`alias`: the directory's name becomes an alias of `agency` (any of its names), and the person can sign in;
    `dismiss`: the request is closed (it opens again if they try again). An answered request is a 409."""
    _office()
    form = read_json(AccessAnswerApiForm)
    agency = form.agency.data if form.decision.data == "alias" else ""
    try:
        answered = perform(ops.answer_access_request, api_user(), request_id, agency or "")
    except Conflict as refused:
        raise Problem(409, refused.message) from None
    return jsonify(access_request_json(answered))


# --- the administrative record -----------------------------------------------------------------------------------

_CHANGE = {"type": "object", "required": ["table", "id", "label", "kind", "before", "after"],
           "properties": {"table": {"type": "string"}, "id": {"type": ["integer", "string", "null"]},
                          "label": {"type": "string"},
                          "kind": {"type": "string", "enum": ["insert", "update", "delete", "more"]},
                          "before": {"type": "object"}, "after": {"type": "object"}},
           "description": "A row the act changed; an act of more than 200 rows ends with one of kind `more` whose "
                          "`after` counts every row by `table:kind`."}
AUDIT_EVENT = component("AuditEvent", {
    "type": "object", "required": ["id", "at", "actor", "address", "action", "action_label", "summary", "changes"],
    "properties": {"id": {"type": "integer"}, "at": _MOMENT,
                   "actor": nullable({"type": "object", "required": ["id", "label"],
                                      "properties": {"id": nullable({"type": "integer"}), "label": {"type": "string"}}}),
                   "address": {"type": "string", "description": "The client's IP address; empty from a command."},
                   "action": {"type": "string", "description": "The operation, e.g. `auth.update_user`."},
                   "action_label": {"type": "string"}, "summary": {"type": "string"},
                   "changes": {"type": "array", "items": _CHANGE,
                               "description": "Each row the act changed, its values before and after; secrets as •••."}},
    "description": "One administrative act. The record is append-only."})
_DAY = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_AUDIT_QUERY = [
    query_param("q", {"type": "string", "maxLength": 200}, "Text in the actor, the address or the summary."),
    query_param("action", {"type": "string", "enum": sorted(audit.ACTION_LABELS)}, "Only this kind of act."),
    query_param("actor", {"type": "integer", "minimum": 1}, "Only this account's acts."),
    query_param("from", _DAY, "From this day (YYYY-MM-DD), in Việt Nam."),
    query_param("to", _DAY, "Until this day, inclusive.")]


def audit_json(event: audit.AuditEvent) -> dict:
    """One act of the record as the API shows it."""
    return {"id": event.id, "at": iso(event.at),
            "actor": {"id": event.actor_id, "label": event.actor_label} if event.actor_id or event.actor_label else None,
            "address": event.address, "action": event.action, "action_label": audit.action_label(event.action),
            "summary": event.summary, "changes": event.changes}


def _day(name: str):
    if name not in request.args:
        return None
    raw = request.args[name]
    day = parse_iso_date(raw)
    if day is None:
        raise Invalid({name: _("Ngày phải theo dạng YYYY-MM-DD.")})
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)


@bp.get("/audit")
@documented("The administrative record (office)", tag="Accounts", is_paged=True, query=_AUDIT_QUERY, errors=(403,),
            responses={200: {"description": "Newest first.", "schema": paged(AUDIT_EVENT)}})
def audit_record():
    """Who changed accounts, roles, tokens, settings, deadlines, assignments and imports: when, from where, before
    and after."""
    _office()
    since, until = _day("from"), _day("to")
    query = audit.search(text=request.args.get("q", "").strip(), action=request.args.get("action", ""),
                         actor_id=request.args.get("actor", type=int), since=since,
                         until=until + timedelta(days=1) if until else None)
    return paginate(query, lambda found: [audit_json(event) for event in found])
