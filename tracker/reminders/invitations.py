"""The invitation mail of a new account, queued in the outbox in the same transaction as the account.

The account domain (auth) sits below this one and cannot import the outbox: `init_app` registers
`queue_invitation` with it, and the office's page calls it through `auth.invitations.send_invitation`.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ..auth.invitations import register_mailer
from ..auth.models import User
from ..clock import utcnow, vn_time
from ..extensions import db
from .mail import new_message_id
from .models import OutboxMessage


def queue_invitation(user: User, link: str, hours: int) -> OutboxMessage:
    """Write the invitation in the person's language and put it in the outbox (flushed, not committed)."""
    with force_locale(user.language or "vi"):
        context = {"user": user, "link": link, "hours": hours, "until": vn_time(utcnow() + timedelta(hours=hours)),
                   "base": current_app.config["BASE_URL"].rstrip("/")}
        subject = f"{current_app.config['MAIL_SUBJECT_PREFIX']} " + gettext("Mời đặt mật khẩu tài khoản theo dõi kế hoạch")
        text = render_template("email/invitation.txt", **context)
        html = render_template("email/invitation.html", **context)
    message = OutboxMessage(recipient_id=user.id, to_address=user.email, subject=subject, text_body=text,
                            html_body=html, message_id=new_message_id(), next_attempt_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def init_app(app) -> None:
    """Let the account pages send invitations through the outbox."""
    register_mailer(app, queue_invitation)
