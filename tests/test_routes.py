"""Every route checked: one declared table of each endpoint and method × anonymous, an officer of the body that
owns what the request points at, an officer of another body, a leader and the office → the expected answer.

A test walks `app.url_map` and fails on a route the table does not list, so a new route is born with its row.
Each case runs on a fresh copy of the seeded database. A POST that the table allows must change something;
one it refuses must leave every table as it was.
"""
from __future__ import annotations

import ast
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import request_finished

import tracker
from tracker.operations import operations_run

from conftest import PASSWORD
from helpers import issue_token
from route_context import DISTRICT, LEADER, OFFICE, OTHER, OWN, TODAY, Context, build_context, changed_tables, snapshot

ROLES = ("anonymous", "own", "other", "leader", "office")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
LOGIN = "login"  # sent to sign in: 302 to /login, or 401 with the typed form shown back and the way to sign in
ALL = (200,) * 4  # every signed-in role


@dataclass(frozen=True)
class Row:
    """One endpoint and method: how to call it, and what each role gets."""

    endpoint: str
    method: str
    expect: tuple  # in the order of ROLES
    values: Callable[[Context], dict] = lambda x: {}  # the URL's arguments (extra ones go to the query string)
    data: Callable[[Context], dict] | None = None  # a minimal valid form
    json: Callable[[Context], dict] | None = None
    own: str = OWN
    other: str = OTHER
    writes: tuple | None = None  # roles whose request changes data; default: a POST answered 2xx or 3xx
    # The answer to the same request with an empty form, for the role allowed to make it; None where an
    # empty form is itself valid (a confirmation, a choice of nothing).
    empty: int | None = 400

    @property
    def key(self) -> tuple[str, str]:
        return self.endpoint, self.method

    def expected(self, role: str):
        return self.expect[ROLES.index(role)]

    def changes(self, role: str) -> bool:
        if self.writes is not None:
            return role in self.writes
        status = self.expected(role)
        return self.method in WRITES and role != "anonymous" and isinstance(status, int) and status < 400


def nothing(x: Context) -> dict:
    """The form of a button that only confirms: no field to fill."""
    return {}


def line_form(x: Context) -> dict:
    return {f"line{x.line}-status": "in_progress", f"line{x.line}-progress": "10", f"line{x.line}-version": "1"}


def communes_csv(x: Context) -> dict:
    header = ["Huyện", "Xã", "Biên giới", "Ngày", *[f"TC{k}" for k in range(1, 20)], "Ghi chú"]
    row = ["Chi Lăng", "Xã Vân An", "", "15/01/2021", *["x"] * 18, "", ""]
    text = "\n".join(",".join(r) for r in (header, row)) + "\n"
    return {"file": (io.BytesIO(text.encode()), "xa.csv")}


def document(x: Context) -> dict:
    return {"year": 2022, "document_id": x.document}


def appendix_csv(x: Context) -> dict:
    text = ("TT,Nội dung công việc,Chỉ đạo,Cơ quan thực hiện,Cơ quan phối hợp,Thời gian\n"
            "I,Kiện toàn bộ máy,,,,\n1,Kiện toàn Ban Chỉ đạo,BCĐ tỉnh,Sở KH&ĐT,VPĐP tỉnh,Quý I\n")
    return {"file": (io.BytesIO(text.encode()), "ke-hoach-2022.csv")}


USER_FORM = {"email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "leader", "active": "y"}
LETTERHEAD = {"parent_body": "UBND tỉnh Lạng Sơn", "issuing_body": "Ban Chỉ đạo các Chương trình MTQG tỉnh",
              "symbol": "BC-BCĐ", "place": "Lạng Sơn", "recipients": "UBND tỉnh (b/c)", "filing": "Lưu: VT, VPĐP.",
              "authority": "TM. Ban Chỉ đạo", "signer_title": "Phó Trưởng ban", "signer_name": "Nguyễn Văn Bình"}
SETTINGS = {"before_days": "5", "digest_weekday": "1", "nudge_days": "10", "catch_up_days": "3", "holidays": ""}
PASSWORDS = {"new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"}
UPDATE = {"agency": "Sở KH&ĐT", "status": "in_progress", "progress": 10, "note": "", "version": 1}
OFFICE_ONLY = (LOGIN, 403, 403, 403)

#        endpoint, method, (anonymous, own, other, leader, office)
TABLE = [
    # --- reading the plan --------------------------------------------------------------------------------------
    Row("progress.index", "GET", (LOGIN, *ALL)),
    Row("progress.task_detail", "GET", (LOGIN, *ALL), lambda x: {"code": "II.1"}),
    Row("plan.agencies", "GET", (LOGIN, *ALL)),
    Row("progress.agency_detail", "GET", (LOGIN, *ALL), lambda x: {"agency_id": x.agency}),
    Row("progress.download", "GET", (LOGIN, *ALL), lambda x: {"attachment_id": x.attachment}),
    Row("dashboard.dashboard", "GET", (LOGIN, *ALL)),
    # An officer lands on its own work; the others are sent to the dashboard.
    Row("dashboard.my_work", "GET", (LOGIN, 200, 200, 302, 302)),
    Row("exports.quarterly", "GET", (LOGIN, *ALL), lambda x: {"fmt": "csv", "year": 2021, "quarter": 1}),
    Row("health.healthz", "GET", (200, *ALL)),
    # The calendar feed answers to the secret in its address, whoever asks.
    Row("exports.calendar", "GET", (200, *ALL), lambda x: {"secret": x.calendar}),
    # --- changing a task ---------------------------------------------------------------------------------------
    Row("progress.update_line_view", "POST", (LOGIN, 302, 403, 403, 302),
        lambda x: {"code": "II.1", "line_id": x.line}, data=line_form),
    Row("progress.comment_view", "POST", (LOGIN, 302, 403, 403, 302), lambda x: {"code": "II.1"},
        data=lambda x: {"body": "Ý kiến về tiến độ"}),
    Row("progress.deadline_view", "POST", (*OFFICE_ONLY, 302), lambda x: {"code": "II.1"},
        data=lambda x: {"due_on": "31/05/2021", "reason": "Lùi hạn theo chỉ đạo"}),
    Row("progress.add_assignment_view", "POST", (*OFFICE_ONLY, 302), lambda x: {"code": "II.1"},
        data=lambda x: {"agency": "Sở Nội vụ", "role": "executing"}),
    Row("progress.remove_assignment_view", "GET", (*OFFICE_ONLY, 200),
        lambda x: {"code": "II.1", "assignment_id": x.assignment}),
    Row("progress.remove_assignment_view", "POST", (*OFFICE_ONLY, 302),
        lambda x: {"code": "II.1", "assignment_id": x.assignment}, data=nothing),
    # --- reporting rounds --------------------------------------------------------------------------------------
    Row("reporting.rounds", "GET", (LOGIN, *ALL)),
    Row("reporting.round_detail", "GET", (LOGIN, *ALL), lambda x: {"round_id": x.q1}),
    # Only a body that owes the round submits; the office reads and sends back.
    Row("reporting.submit", "POST", (LOGIN, 302, 403, 403, 403), lambda x: {"round_id": x.adhoc},
        data=lambda x: {"body": "Báo cáo về vốn"}),
    Row("reporting.send_back", "POST", (*OFFICE_ONLY, 302),
        lambda x: {"round_id": x.q1, "submission_id": x.submission},
        data=lambda x: {f"s{x.submission}-reason": "Thiếu số liệu"}),
    Row("reporting.new_round", "GET", (*OFFICE_ONLY, 200)),
    Row("reporting.new_round", "POST", (*OFFICE_ONLY, 302),
        data=lambda x: {"title": "Đột xuất", "due_on": "30/06/2021", "bodies": "Sở Y tế"}),
    Row("reporting.policy", "GET", (*OFFICE_ONLY, 200)),
    Row("reporting.policy", "POST", (*OFFICE_ONLY, 302),
        data=lambda x: {"cutoff_day": "5", "due_day": "10", "levels": "department"}),
    # --- indicators and communes -------------------------------------------------------------------------------
    Row("indicators.overview", "GET", (LOGIN, *ALL)),
    Row("indicators.districts", "GET", (LOGIN, *ALL)),
    Row("indicators.communes", "GET", (LOGIN, *ALL)),
    Row("indicators.indicator_detail", "GET", (LOGIN, *ALL), lambda x: {"indicator_id": x.indicator}),
    Row("indicators.commune_detail", "GET", (LOGIN, *ALL), lambda x: {"commune_id": x.commune}),
    Row("indicators.enter", "POST", (LOGIN, 302, 403, 403, 302), lambda x: {"indicator_id": x.indicator},
        data=lambda x: {"quarter": "1", "value": "1200", "note": "Số liệu quý I"}),
    Row("indicators.responsible", "POST", (*OFFICE_ONLY, 302), lambda x: {"indicator_id": x.indicator},
        data=lambda x: {"agency": str(x.district)}, empty=None),  # none chosen: the indicator is given to no body
    Row("indicators.commune_update", "POST", (LOGIN, 302, 403, 403, 302), lambda x: {"commune_id": x.commune},
        data=lambda x: {"since": "08/05/2021", "met": ["1", "2"], "note": "Quyết định công nhận"}, own=DISTRICT),
    # No file: the communes page again (400), the reason on the file field.
    Row("indicators.communes_import", "POST", (*OFFICE_ONLY, 302), data=communes_csv),
    # --- reminders and mail ------------------------------------------------------------------------------------
    Row("reminders.index", "GET", (LOGIN, *ALL)),
    Row("reminders.outbox", "GET", (*OFFICE_ONLY, 200)),
    # A message is read by its recipient (the "own" officer here) and by the office.
    Row("reminders.outbox_message", "GET", (LOGIN, 200, 403, 403, 200), lambda x: {"message_id": x.message}),
    Row("reminders.send_message_again", "POST", (*OFFICE_ONLY, 302), lambda x: {"message_id": x.message},
        data=nothing),
    Row("reminders.edit_settings", "GET", (*OFFICE_ONLY, 200)),
    Row("reminders.edit_settings", "POST", (*OFFICE_ONLY, 302), data=lambda x: SETTINGS),
    Row("reminders.preferences", "GET", (LOGIN, *ALL)),
    # Nothing ticked is a choice too: no reminder but those the office cannot turn off.
    Row("reminders.preferences", "POST", (LOGIN, 302, 302, 302, 302), data=lambda x: {"nudge": "y"}, empty=None),
    # --- the quarterly report's letterhead ---------------------------------------------------------------------
    Row("exports.letterhead", "GET", (*OFFICE_ONLY, 200)),
    Row("exports.letterhead", "POST", (*OFFICE_ONLY, 302), data=lambda x: LETTERHEAD),
    # --- signing in, one's profile -----------------------------------------------------------------------------
    Row("auth.login", "GET", (200, *ALL)),
    # A sign-in clears the account's and the address's failed attempts.
    Row("auth.login", "POST", (302, 302, 302, 302, 302),
        data=lambda x: {"email": "taichinh@test.vn", "password": PASSWORD}, writes=ROLES),
    # Signing out ends every session of the account: its session version moves on.
    Row("auth.logout", "POST", (LOGIN, 302, 302, 302, 302), data=nothing),
    # The language is the session's before signing in, the account's after.
    Row("auth.language", "POST", (302, 302, 302, 302, 302), data=lambda x: {"language": "en"}),
    Row("auth.invitation", "GET", (200, *ALL), lambda x: {"token": x.invitation}),
    Row("auth.invitation", "POST", (302, 302, 302, 302, 302), lambda x: {"token": x.invitation},
        data=lambda x: PASSWORDS, writes=ROLES),
    Row("auth.profile", "GET", (LOGIN, *ALL)),
    Row("auth.change_password", "POST", (LOGIN, 302, 302, 302, 302),
        data=lambda x: {"current": PASSWORD, **PASSWORDS}),
    Row("auth.create_token", "POST", (LOGIN, 200, 200, 200, 200), data=lambda x: {"name": "báo cáo"},
        empty=None),  # a token's name is optional
    # One's own token only: another's is as if it did not exist.
    Row("auth.revoke_token", "POST", (LOGIN, 302, 404, 404, 404), lambda x: {"token_id": x.token},
        data=nothing),
    Row("auth.create_calendar", "POST", (LOGIN, 200, 200, 200, 200), data=nothing),
    # Each revokes its own address; only the "own" officer has one to revoke.
    Row("auth.revoke_calendar", "POST", (LOGIN, 302, 302, 302, 302), data=nothing, writes=("own",)),
    # --- the office's user administration ----------------------------------------------------------------------
    Row("auth.users", "GET", (*OFFICE_ONLY, 200)),
    Row("auth.users", "POST", (*OFFICE_ONLY, 302), data=lambda x: {
        "email": "moi@test.vn", "agency": "Sở Y tế", "role": "officer", "password": "mat-khau-dai-du", "active": "y"}),
    Row("auth.edit_user", "GET", (*OFFICE_ONLY, 200), lambda x: {"user_id": x.user}),
    Row("auth.edit_user", "POST", (*OFFICE_ONLY, 302), lambda x: {"user_id": x.user}, data=lambda x: USER_FORM),
    Row("auth.invite_user", "POST", (*OFFICE_ONLY, 302), lambda x: {"user_id": x.user}, data=nothing),
    # The account has no two-factor sign-in to turn off: said, nothing changed.
    Row("auth.reset_two_factor", "POST", (*OFFICE_ONLY, 302), lambda x: {"user_id": x.user}, data=nothing,
        writes=()),
    Row("auth.security", "GET", (*OFFICE_ONLY, 200)),
    Row("auth.security", "POST", (*OFFICE_ONLY, 302), data=lambda x: {"require_two_factor": "y"}, empty=None),
    Row("auth.audit_record", "GET", (*OFFICE_ONLY, 200)),
    # People the directory vouched for whose agency is unknown: the office names it (an alias) or dismisses.
    Row("auth.access_requests", "GET", (*OFFICE_ONLY, 200)),
    Row("auth.answer_access_request", "POST", (*OFFICE_ONLY, 302), lambda x: {"request_id": x.access_request},
        data=lambda x: {f"r{x.access_request}-agency": "Sở Nông nghiệp và Phát triển nông thôn",
                        f"r{x.access_request}-decision": "alias"}),
    # The province's identity service (OpenID Connect) is off here (no TRACKER_OIDC_ISSUER): no way in, for anyone.
    # tests/test_oidc.py signs in through a real provider.
    Row("oidc.login", "GET", (404,) * 5),
    Row("oidc.callback", "GET", (404,) * 5, lambda x: {"code": "ma", "state": "trang-thai"}),
    # --- two-factor sign-in ------------------------------------------------------------------------------------
    # Without a password just accepted there is no code to ask for: back to the password.
    Row("auth.second_step", "GET", (302, 302, 302, 302, 302)),
    Row("auth.second_step", "POST", (302, 302, 302, 302, 302), data=lambda x: {"code": "123456"}, writes=(),
        empty=None),
    Row("auth.two_factor_setup", "GET", (LOGIN, *ALL)),
    # A code the app did not show: refused, nothing turned on.
    Row("auth.two_factor_setup", "POST", (LOGIN, 400, 400, 400, 400), data=lambda x: {"code": "000000"}, writes=(),
        empty=None),
    # Nobody of the table has it on: each is told so.
    Row("auth.two_factor_off", "POST", (LOGIN, 302, 302, 302, 302), data=lambda x: {"code": "000000"}, writes=(),
        empty=None),
    Row("auth.two_factor_codes", "POST", (LOGIN, 302, 302, 302, 302), data=lambda x: {"code": "000000"},
        writes=(), empty=None),
    # --- the API, with a bearer token ------------------------------------------------------------------------
    Row("api.tasks", "GET", (401, *ALL)),
    Row("api.task", "GET", (401, *ALL), lambda x: {"code": "II.1"}),
    Row("api.status_line", "GET", (401, *ALL), lambda x: {"line_id": x.line}),
    Row("api.agencies", "GET", (401, *ALL)),
    Row("api.rounds", "GET", (401, *ALL)),
    Row("api.reminders", "GET", (401, *ALL)),
    Row("api.dashboard", "GET", (401, *ALL)),
    Row("api.indicators", "GET", (401, *ALL)),
    # --- API: indicators and communes (the same answers per role as their pages)
    Row("api.indicator", "GET", (401, *ALL), lambda x: {"indicator_id": x.indicator}),
    Row("api.indicator_entries", "GET", (401, *ALL), lambda x: {"indicator_id": x.indicator}),
    Row("api.post_indicator_entry", "POST", (401, 201, 403, 403, 201), lambda x: {"indicator_id": x.indicator},
        json=lambda x: {"quarter": 1, "value": "1200", "note": "Số liệu quý I"}),
    Row("api.put_responsible", "PUT", (401, 403, 403, 403, 200), lambda x: {"indicator_id": x.indicator},
        json=lambda x: {"agency": x.district}, empty=None),  # none chosen: the indicator is given to no body
    Row("api.communes", "GET", (401, *ALL)),
    Row("api.commune", "GET", (401, *ALL), lambda x: {"commune_id": x.commune}),
    Row("api.patch_commune", "PATCH", (401, 200, 403, 403, 200), lambda x: {"commune_id": x.commune},
        json=lambda x: {"since": "2021-05-08", "met": [1, 2], "note": "Quyết định công nhận"}, own=DISTRICT),
    Row("api.import_communes", "POST", (401, 403, 403, 403, 200), data=communes_csv),
    Row("api.quarterly_report", "GET", (401, *ALL), lambda x: {"fmt": "csv", "year": 2021, "quarter": 1}),
    Row("api.post_update", "POST", (401, 201, 403, 403, 201), lambda x: {"code": "II.1"}, json=lambda x: UPDATE),
    Row("api.put_line", "PUT", (401, 201, 403, 403, 201), lambda x: {"line_id": x.line},
        json=lambda x: {k: v for k, v in UPDATE.items() if k != "agency"}),
    Row("api.openapi", "GET", (200, *ALL)),
    Row("api_docs.reference", "GET", (200, *ALL)),
    Row("api.history", "GET", (401, *ALL), lambda x: {"code": "II.1"}),
    Row("api.comments", "GET", (401, *ALL), lambda x: {"code": "II.1"}),
    Row("api.post_comment", "POST", (401, 201, 403, 403, 201), lambda x: {"code": "II.1"},
        json=lambda x: {"body": "Ý kiến về tiến độ"}),
    Row("api.attachments", "GET", (401, *ALL), lambda x: {"code": "II.1"}),
    Row("api.attachment_file", "GET", (401, *ALL), lambda x: {"attachment_id": x.attachment}),
    Row("api.post_attachments", "POST", (401, 201, 403, 403, 201), lambda x: {"line_id": x.line},
        data=lambda x: {"attachments": (io.BytesIO(b"%PDF-1.4 bien ban"), "biên bản.pdf")}),
    Row("api.put_deadline", "PUT", (401, 403, 403, 403, 200), lambda x: {"code": "II.1"},
        json=lambda x: {"due_on": "2021-05-31", "reason": "Lùi hạn theo chỉ đạo"}),
    Row("api.assignments", "GET", (401, *ALL), lambda x: {"code": "II.1"}),
    Row("api.post_assignment", "POST", (401, 403, 403, 403, 201), lambda x: {"code": "II.1"},
        json=lambda x: {"agency": "Sở Nội vụ", "role": "executing"}),
    Row("api.delete_assignment", "DELETE", (401, 403, 403, 403, 204),
        lambda x: {"code": "II.1", "assignment_id": x.assignment}),
    # --- API: accounts (one's own account for everyone; the accounts for the office) ---------------------------
    Row("api.me", "GET", (401, *ALL)),
    Row("api.put_me", "PUT", (401, 200, 200, 200, 200), json=lambda x: {"language": "en"}),
    Row("api.my_tokens", "GET", (401, *ALL)),
    Row("api.post_token", "POST", (401, 201, 201, 201, 201), json=lambda x: {"name": "báo cáo"},
        empty=None),  # a token's name is optional
    # One's own token only: another's is as if it did not exist.
    Row("api.delete_token", "DELETE", (401, 204, 404, 404, 404), lambda x: {"token_id": x.token}),
    Row("api.post_calendar", "POST", (401, 201, 201, 201, 201)),
    # Each revokes its own address; only the "own" officer has one to revoke.
    Row("api.delete_calendar", "DELETE", (401, 204, 204, 204, 204), writes=("own",)),
    # Every account's e-mail leaving in bulk: the administrative record notes the office's read.
    Row("api.users", "GET", (401, 403, 403, 403, 200), writes=("office",)),
    Row("api.audit_record", "GET", (401, 403, 403, 403, 200)),
    Row("api.post_user", "POST", (401, 403, 403, 403, 201), json=lambda x: {
        "email": "moi@test.vn", "agency": "Sở Y tế", "role": "officer", "password": "mat-khau-dai-du", "active": True}),
    Row("api.user", "GET", (401, 403, 403, 403, 200), lambda x: {"user_id": x.user}),
    Row("api.put_user", "PUT", (401, 403, 403, 403, 200), lambda x: {"user_id": x.user},
        json=lambda x: {**USER_FORM, "active": True}),
    # Queued in the outbox, mailed after the call commits: 202.
    Row("api.post_invitation", "POST", (401, 403, 403, 403, 202), lambda x: {"user_id": x.user}),
    Row("api.access_requests", "GET", (401, 403, 403, 403, 200)),
    Row("api.answer_access_request", "POST", (401, 403, 403, 403, 200), lambda x: {"request_id": x.access_request},
        json=lambda x: {"decision": "alias", "agency": "Sở NN&PTNT"}),
    # --- API: reporting rounds, reminders, the letterhead
    Row("api.reporting_round", "GET", (401, *ALL), lambda x: {"round_id": x.q1}),
    Row("api.round_submissions", "GET", (401, *ALL), lambda x: {"round_id": x.q1}),
    Row("api.post_round", "POST", (401, 403, 403, 403, 201),
        json=lambda x: {"title": "Đột xuất", "due_on": "2021-06-30", "bodies": "Sở Y tế"}),
    # Only a body that owes the round submits (multipart: the text and its files); the office sends back.
    Row("api.post_submission", "POST", (401, 201, 403, 403, 403), lambda x: {"round_id": x.adhoc},
        data=lambda x: {"body": "Báo cáo về vốn", "attachments": (io.BytesIO(b"%PDF-1.4 bao cao"), "báo cáo.pdf")}),
    Row("api.return_submission", "POST", (401, 403, 403, 403, 200), lambda x: {"submission_id": x.submission},
        json=lambda x: {"reason": "Thiếu số liệu"}),
    Row("api.reporting_policy", "GET", (401, 403, 403, 403, 200)),
    Row("api.put_reporting_policy", "PUT", (401, 403, 403, 403, 200),
        json=lambda x: {"cutoff_day": 5, "due_day": 10, "levels": "department"}),
    Row("api.messages", "GET", (401, 403, 403, 403, 200)),
    Row("api.send_message_again", "POST", (401, 403, 403, 403, 200), lambda x: {"message_id": x.message}),
    Row("api.reminder_settings", "GET", (401, 403, 403, 403, 200)),
    Row("api.put_reminder_settings", "PUT", (401, 403, 403, 403, 200),
        json=lambda x: {**SETTINGS, "digest_weekday": 1, "nudge_days": 10, "catch_up_days": 3}),
    Row("api.reminder_preferences", "GET", (401, *ALL)),
    # Nothing given is a choice too: no reminder but those the office cannot turn off.
    Row("api.put_reminder_preferences", "PUT", (401, 200, 200, 200, 200), json=lambda x: {"nudge": True},
        empty=None),
    Row("api.letterhead", "GET", (401, 403, 403, 403, 200)),
    Row("api.put_letterhead", "PUT", (401, 403, 403, 403, 200), json=lambda x: LETTERHEAD),
    # --- a plan's document: the office's alone, pages and API ------------------------------------------------------
    Row("documents.index", "GET", (*OFFICE_ONLY, 200), lambda x: {"year": 2022}),
    Row("documents.upload", "POST", (*OFFICE_ONLY, 302), lambda x: {"year": 2022}, data=appendix_csv),
    Row("documents.show", "GET", (*OFFICE_ONLY, 200), document),
    Row("documents.correct", "POST", (*OFFICE_ONLY, 302), lambda x: {**document(x), "row_id": x.row},
        data=lambda x: {f"row{x.row}-timeline": "Quý II", f"row{x.row}-save": "Lưu"}),
    Row("documents.name_body", "POST", (*OFFICE_ONLY, 302), document,
        data=lambda x: {"alias": "BCĐ các xã", "agency": str(x.agency)}),
    Row("documents.row_image", "GET", (*OFFICE_ONLY, 200), lambda x: {**document(x), "row_id": x.row}),
    Row("documents.preview", "GET", (*OFFICE_ONLY, 200), document),
    # Nothing to choose: carrying last year's lines over is optional.
    Row("documents.confirm_import", "POST", (*OFFICE_ONLY, 302), document, data=nothing, empty=None),
    Row("api.upload_document", "POST", (401, 403, 403, 403, 202), lambda x: {"year": 2022}, data=appendix_csv),
    Row("api.documents", "GET", (401, 403, 403, 403, 200), lambda x: {"year": 2022}),
    Row("api.document", "GET", (401, 403, 403, 403, 200), document),
    Row("api.document_rows", "GET", (401, 403, 403, 403, 200), document),
    Row("api.document_row", "GET", (401, 403, 403, 403, 200), lambda x: {**document(x), "row_id": x.row}),
    Row("api.document_row_image", "GET", (401, 403, 403, 403, 200), lambda x: {**document(x), "row_id": x.row}),
    # Only the cells sent change: none sent changes none.
    Row("api.patch_document_row", "PATCH", (401, 403, 403, 403, 200), lambda x: {**document(x), "row_id": x.row},
        json=lambda x: {"timeline": "Quý II"}, empty=None),
    Row("api.document_import_preview", "GET", (401, 403, 403, 403, 200), document),
    Row("api.import_document", "POST", (401, 403, 403, 403, 200), document, json=lambda x: {}, empty=None),
]
ROWS = {row.key: row for row in TABLE}
IGNORED = {"static"}  # files, the same for everyone


def test_the_table_lists_every_route_once(shared_app):
    assert len(ROWS) == len(TABLE), "a route is listed twice"
    routes = {(rule.endpoint, method) for rule in shared_app.url_map.iter_rules() if rule.endpoint not in IGNORED
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(routes - ROWS.keys())
    gone = sorted(ROWS.keys() - routes)
    assert not missing, "routes with no row in tests/test_routes.py TABLE:\n" + "\n".join(
        f"  {method} {endpoint}" for endpoint, method in missing)
    assert not gone, "rows for routes that no longer exist:\n" + "\n".join(
        f"  {method} {endpoint}" for endpoint, method in gone)
    assert all(len(row.expect) == len(ROLES) for row in TABLE)


def sign_in(client, app, row: Row, role: str) -> None:
    """Sign the client in as the role: a session for pages, a bearer token for the API."""
    email = {"own": row.own, "other": row.other, "leader": LEADER, "office": OFFICE}.get(role)
    if email is None:
        return
    if row.endpoint.startswith("api."):
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(app, email)}"
    else:
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", TABLE, ids=[f"{row.method} {row.endpoint}" for row in TABLE])
def test_route(seeded, client, travel, row: Row, role: str):
    travel(TODAY.year, TODAY.month, TODAY.day)
    context = build_context(seeded)
    sign_in(client, seeded, row, role)
    before = snapshot(seeded)
    url = context.url(row.endpoint, **row.values(context))
    ran: list[str] = []

    def note_operations(sender, response, **extra):
        ran.extend(operations_run())

    with request_finished.connected_to(note_operations, seeded):
        response = client.open(url, method=row.method, data=row.data(context) if row.data else None,
                               json=row.json(context) if row.json else None)
    response.close()  # a file sent by send_file stays open until then
    expected = row.expected(role)
    shown = f"{row.method} {url} as {role}: {response.status_code} {response.headers.get('Location', '')}"
    if expected == LOGIN:
        assert (response.status_code == 302 and response.headers["Location"].startswith("/login")) or (
            response.status_code == 401 and "/login?next=" in response.get_data(as_text=True)), shown
    else:
        assert response.status_code == expected, shown + "\n" + response.get_data(as_text=True)[:800]
    changed = changed_tables(before, snapshot(seeded))
    if row.changes(role):
        assert changed, f"{shown}: allowed, yet nothing changed"
        # One door: every change a page or endpoint makes goes through an operation (tracker/operations.py).
        assert ran, f"{shown}: changed {', '.join(changed)} without an operation"
    else:
        assert not changed, f"{shown}: a read or a refusal, yet {', '.join(changed)} changed"


def allowed_role(row: Row) -> str:
    """The role a row's change is meant for: the office if it may, else the body's own officer; for a form that
    changes nothing in the table's world (a code nobody's app showed), the first role it answers."""
    order = ("office", "own", "other", "leader", "anonymous")
    return next((role for role in order if row.changes(role)), None) or next(
        role for role in order if row.expected(role) not in (LOGIN, 401, 403, 404))


EMPTY_ROWS = [row for row in TABLE if row.method in WRITES and (row.data or row.json) and row.data is not nothing
              and row.empty is not None]


@pytest.mark.parametrize("row", EMPTY_ROWS, ids=[f"{row.method} {row.endpoint}" for row in EMPTY_ROWS])
def test_an_empty_form_is_refused_and_changes_nothing(seeded, client, travel, row: Row):
    travel(TODAY.year, TODAY.month, TODAY.day)
    context = build_context(seeded)
    role = allowed_role(row)
    sign_in(client, seeded, row, role)
    before = snapshot(seeded)
    url = context.url(row.endpoint, **row.values(context))
    response = client.open(url, method=row.method, data={} if row.data else None, json={} if row.json else None)
    shown = f"{row.method} {url} empty, as {role}: {response.status_code}"
    assert response.status_code == row.empty, shown
    # The sign-in limiter counts every attempt, valid or not.
    changed = [name for name in changed_tables(before, snapshot(seeded)) if name != "rate_limit"]
    assert not changed, f"{shown}: yet {', '.join(changed)} changed"


def test_a_method_a_route_does_not_take_is_405_and_says_which_it_takes(seeded, client, travel):
    travel(TODAY.year, TODAY.month, TODAY.day)
    context = build_context(seeded)
    sign_in(client, seeded, ROWS[("auth.profile", "GET")], "office")
    adapter = seeded.url_map.bind("localhost")
    wrong = []
    for row in TABLE:
        url = context.url(row.endpoint, **row.values(context))
        path = url.split("?")[0]
        takes = set(adapter.allowed_methods(path))
        for method in [m for m in ("GET", "POST", "DELETE") if m not in takes]:
            response = client.open(url, method=method)
            allow = set(response.headers.get("Allow", "").replace(" ", "").split(","))
            if response.status_code != 405 or allow != takes:
                wrong.append(f"{method} {path}: {response.status_code}, Allow: {sorted(allow)} (takes {sorted(takes)})")
    assert not wrong, "\n".join(wrong)

# --- role decisions live in the policy alone -------------------------------------------------------------------

ROLE_NAMES = {"office", "officer", "leader"}
POLICY = Path(tracker.__file__).parent / "auth" / "policy.py"


def role_comparisons(source: str, filename: str) -> list[str]:
    """Where a piece of Python compares something with an account role's name (literal or the policy's constant)."""
    found = []

    def names_a_role(node) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in ROLE_NAMES
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(names_a_role(element) for element in node.elts)
        return isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "id", getattr(node, "attr", "")) in {
            "OFFICE", "OFFICER", "LEADER"}

    for node in ast.walk(ast.parse(source, filename)):
        operands = ([node.left, *node.comparators] if isinstance(node, ast.Compare)
                    else [node.value] if isinstance(node, ast.MatchValue) else [])
        if any(names_a_role(operand) for operand in operands):
            found.append(f"{filename}:{node.lineno}: {ast.get_source_segment(source, node)}")
    return found


def test_the_check_finds_a_role_compared():
    assert role_comparisons('if user.role == "office": pass', "x.py") == ['x.py:1: user.role == "office"']
    assert role_comparisons('ok = role in ("leader", "officer")', "x.py")
    assert role_comparisons('ok = task.role == "lead"', "x.py") == []


def test_no_role_is_compared_outside_the_policy():
    package = POLICY.parents[1]
    found = [hit for path in sorted(package.rglob("*.py")) if path != POLICY
             for hit in role_comparisons(path.read_text(encoding="utf-8"), str(path.relative_to(package.parent)))]
    templates = package.parent / "templates"
    pattern = re.compile(r"""(==|!=|\bin\b)\s*[(\[]?\s*["'](office|officer|leader)["']|["'](office|officer|leader)["']\s*(==|!=)""")
    found += [f"{path.relative_to(package.parent)}:{number}: {line.strip()}"
              for path in sorted(templates.rglob("*.html"))
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, "ask tracker/auth/policy.py instead of comparing roles:\n" + "\n".join(found)
