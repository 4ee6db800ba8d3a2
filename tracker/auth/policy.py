"""Who may do what. Every view, API endpoint and template asks here (templates see these functions as
globals); nothing compares role strings elsewhere (tests/test_routes.py checks), and nothing trusts an agency
id from a form."""
from __future__ import annotations

from flask_babel import gettext as _

from ..operations import NotAllowed
from ..plan.models import Task
from .models import User

# The kinds of account (the keys of models.ROLE_LABELS); only this module compares them.
OFFICE, OFFICER, LEADER = "office", "officer", "leader"


def manages_plan(role: str) -> bool:
    """An account of this role is the coordination office's (said of a role, before any account has it)."""
    return role == OFFICE


def does_agency_work(role: str) -> bool:
    """An account of this role does its agency's work and gets its reminders; a leader only reads."""
    return role in (OFFICE, OFFICER)


def needs_two_factor(user, required_for_managers: bool) -> bool:
    """Whether the office's rule asks this account for a second factor: the office and leaders, when it is on."""
    return required_for_managers and user.role in (OFFICE, LEADER)


def is_signed_in(user) -> bool:
    """A signed-in, active account: it may look after its own password, tokens, calendar and language."""
    return bool(getattr(user, "is_authenticated", False)) and bool(user.active)


def manages_accounts(user) -> bool:
    """The coordination office creates, edits and invites accounts."""
    return is_office(user)


def require_office(actor) -> None:
    """NotAllowed unless the actor is the coordination office: the first check of an office-only change."""
    if not is_office(actor):
        raise NotAllowed(_("Chỉ Văn phòng Điều phối được làm việc này."))


def is_office(user) -> bool:
    """The coordination office manages the plan: deadlines, assignments, users."""
    return bool(getattr(user, "is_authenticated", False)) and manages_plan(user.role) and user.active


def is_officer(user) -> bool:
    """An officer of a department or district: updates its own agency's work and reports for it."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == OFFICER and user.active


def lands_on_own_work(user) -> bool:
    """An officer signs in to its own agency's work; the office and leaders to the dashboard."""
    return is_officer(user)


def gives_up_office(user, by, role: str, active: bool) -> bool:
    """The office changing its own account away from the office, or locking it: refused, lest nobody is left."""
    return user.id == by.id and not (manages_plan(role) and active)


def can_submit_report(user, round_) -> bool:
    """An officer whose agency owes the round submits its report (the office reads and sends back)."""
    return is_officer(user) and user.agency_id in {body.id for body in round_.bodies}


def sees_every_reminder(user) -> bool:
    """The office and leaders read every reminder; an officer, those addressed to them."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in (OFFICE, LEADER)


def chooses_own_reminders(user) -> bool:
    """Anyone signed in chooses which reminders they get (the office's overdue digest stays on)."""
    return bool(getattr(user, "is_authenticated", False)) and user.active


def can_read_message(user, message) -> bool:
    """A queued or sent e-mail is read by its recipient and by the office."""
    return is_office(user) or (bool(getattr(user, "is_authenticated", False)) and message.recipient_id == user.id)


def can_update_line(user, line) -> bool:
    """Officers change their own agency's lines; the office may post for a body that reported on paper."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role == OFFICE:
        return True
    return user.role == OFFICER and line.agency_id == user.agency_id


def named_on(user: User, task: Task) -> bool:
    """True when the user's agency is named on the task in any role, directly or through a group."""
    return any(user.agency_id == body.id or user.agency_id == agency.id
               for assignment in task.assignments
               for agency in [assignment.agency]
               for body in agency.bodies())


def can_comment(user, task: Task) -> bool:
    """The office and any body named on the task (coordinating bodies too) may comment."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.role == OFFICE or (user.role == OFFICER and named_on(user, task))


def can_download(user) -> bool:
    """Any signed-in, active account may read attachments: every role sees every task."""
    return bool(getattr(user, "is_authenticated", False)) and user.active


def can_enter_figure(user, indicator) -> bool:
    """The body an indicator is given to enters its figures, and each district its own of an aim set per
    district; the office may enter one a body sent on paper."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role == OFFICE:
        return True
    return user.role == OFFICER and (indicator.responsible_id == user.agency_id
                                       or (indicator.per_district and user.agency.level == "district"))


def own_district_only(user, indicator) -> bool:
    """A district's officer enters only its own district's figure of an aim set per district."""
    return (indicator.per_district and user.role == OFFICER and indicator.responsible_id != user.agency_id
            and user.agency.level == "district")


def can_edit_commune(user, commune) -> bool:
    """A district records which criteria its communes meet; the office may for any commune."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.role == OFFICE or (user.role == OFFICER and commune.district_id == user.agency_id)
