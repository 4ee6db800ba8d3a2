"""Accounts vouched for by the province's directory (LDAP) or identity service (OpenID Connect).

Both sign-ins end the same way: the directory says who the person is (`DirectoryPerson`), and
`account_for` makes or updates the tracker's account from it: name, e-mail, agency (matched to the
agency directory with its aliases) and role (from the directory's groups). The directory stays the
source of truth, so each sign-in brings the account up to date; the office can still lock it here.
A person whose department or district the tracker does not know is refused, and the attempt is kept as
an `AccessRequest` for the office to answer (by adding the name as an alias of an agency).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from ..clock import utcnow
from ..extensions import db
from ..operations import DomainError, NotAllowed
from ..plan.services import find_agency
from ..text import nfc
from .models import AccessRequest, User
from .policy import LEADER, OFFICE, OFFICER
from .services import normalise_email


@dataclass
class DirectoryPerson:
    """What a directory said of a person who proved who they are."""

    directory: str  # "ldap" or "oidc"
    directory_id: str  # the entry's DN, or the provider's subject
    email: str
    name: str = ""
    agency_names: list[str] = field(default_factory=list)  # the values of the agency attribute or claim
    office: bool = False  # a member of the office's group
    leader: bool = False  # a member of the leaders' group

    @property
    def role(self) -> str:
        """The account's role: the office's group wins over the leaders', everyone else is an officer."""
        return OFFICE if self.office else LEADER if self.leader else OFFICER


class UnknownAgency(NotAllowed):
    """The directory names a department or district the tracker does not know; `person` says who asked."""

    def __init__(self, person: DirectoryPerson):
        named = ", ".join(person.agency_names) or _("(không có)")
        super().__init__(_("Danh bạ ghi đơn vị của bạn là «%(named)s», chưa có trong hệ thống. Văn phòng Điều phối "
                           "đã nhận yêu cầu của bạn; vui lòng liên hệ Văn phòng để được thêm đơn vị.", named=named))
        self.person = person


class DirectoryUnavailable(DomainError):
    """The directory or identity service could not be reached or answered wrongly: nothing was decided."""

    status = 503


def _agency_of(person: DirectoryPerson):
    for name in person.agency_names:
        agency = find_agency(name) if name and len(name) <= 300 else None
        if agency is not None and not agency.is_group:
            return agency
    return None


def _existing(person: DirectoryPerson, email: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.directory == person.directory,
                                                   User.directory_id == person.directory_id))
    if user is None and email:
        # A local account of the same address is the same person: the directory takes it over (its password
        # stops working), so nobody ends up with two accounts.
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None and user.directory not in (None, person.directory):
            user = None
    return user


def account_for(person: DirectoryPerson) -> User:
    """The account of a person the directory vouched for, made or brought up to date; flushes.

    UnknownAgency when no agency matches; NotAllowed when the office locked the account or another
    account already uses the directory's e-mail.
    """
    email = normalise_email(person.email or "")[:254]
    agency = _agency_of(person)
    if agency is None:
        raise UnknownAgency(person)
    user = _existing(person, email)
    if user is not None and not user.active:
        raise NotAllowed(_("Tài khoản của bạn đã bị khóa. Vui lòng liên hệ Văn phòng Điều phối."))
    if not email:
        raise NotAllowed(_("Danh bạ không có địa chỉ thư điện tử của bạn; vui lòng liên hệ bộ phận CNTT."))
    taken = db.session.scalar(sa.select(User).where(User.email == email, User.id != (user.id if user else None)))
    if taken is not None:
        raise NotAllowed(_("Địa chỉ %(email)s đã thuộc một tài khoản khác; vui lòng liên hệ Văn phòng Điều phối.",
                           email=email))
    if user is None:
        user = User(email=email, active=True, password_hash="")
        db.session.add(user)
    values = {"directory": person.directory, "directory_id": person.directory_id[:500], "email": email,
              "name": nfc(person.name or "")[:200] or user.name or "", "agency": agency, "role": person.role}
    if user.password_hash:
        user.password_hash = ""  # the directory's password is the only one now
        user.end_sessions()
    for key, value in values.items():
        if getattr(user, key) != value:
            setattr(user, key, value)
    db.session.flush()
    return user


def request_access(person: DirectoryPerson) -> AccessRequest:
    """Keep (or renew) the request of a person whose agency is unknown, for the office; flushes."""
    login = person.directory_id[:500]
    request_ = db.session.scalar(sa.select(AccessRequest).where(AccessRequest.directory == person.directory,
                                                                AccessRequest.login == login))
    now = utcnow()
    if request_ is None:
        request_ = AccessRequest(directory=person.directory, login=login, attempts=0, first_at=now)
        db.session.add(request_)
    request_.email = normalise_email(person.email or "")[:254]
    request_.name = nfc(person.name or "")[:200]
    request_.agency_text = nfc(", ".join(person.agency_names))[:300]
    request_.role = person.role
    request_.attempts = (request_.attempts or 0) + 1
    request_.last_at = now
    request_.closed_at = request_.closed_by_id = None  # asked again after an answer: open again
    db.session.flush()
    return request_


def open_requests() -> list[AccessRequest]:
    """The requests the office has not answered, newest first."""
    return list(db.session.scalars(sa.select(AccessRequest).where(AccessRequest.closed_at.is_(None))
                                   .order_by(AccessRequest.last_at.desc(), AccessRequest.id.desc())))
