"""Render one person's reminders of a day as one e-mail in the person's language, plain text and HTML."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from ..clock import vn_date

from .models import RULE_LABELS, RULES
from ..i18n import label as vocab

# A digest lists this many items a rule, then says how many more there are and links to the list.
MAX_LISTED = 50
MORE_LINKS = {
    "task_due_soon": "/?category=in_progress",
    "task_overdue": "/?category=overdue&sort=overdue",
    "overdue_digest": "/?category=overdue&sort=overdue",
    "round_due_soon": "/rounds",
    "round_overdue": "/rounds",
    "nudge": "/",
    "report_returned": "/my",
}


@dataclass
class Digest:
    """What one person gets today, bounded in memory however many items fall due."""

    recipient_id: int
    counts: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, rule: str, summary: str, path: str) -> None:
        """Count an item and keep it for the list if there is room."""
        self.counts[rule] = self.counts.get(rule, 0) + 1
        listed = self.items.setdefault(rule, [])
        if len(listed) < MAX_LISTED:
            listed.append((summary, path))

    @property
    def total(self) -> int:
        """How many reminders the digest carries."""
        return sum(self.counts.values())


def subject_for(digest: Digest, today: date) -> str:
    """A subject that says what is inside: "Nhắc việc 29/11/2026: 2 sắp đến hạn, 1 quá hạn"."""
    parts = []
    soon = digest.counts.get("task_due_soon", 0) + digest.counts.get("round_due_soon", 0)
    late = digest.counts.get("task_overdue", 0) + digest.counts.get("round_overdue", 0)
    if soon:
        parts.append(gettext("%(count)s việc sắp đến hạn", count=soon))
    if late:
        parts.append(gettext("%(count)s việc quá hạn", count=late))
    if digest.counts.get("overdue_digest"):
        parts.append(gettext("tổng hợp %(count)s việc quá hạn", count=digest.counts["overdue_digest"]))
    if digest.counts.get("nudge"):
        parts.append(gettext("%(count)s việc cần cập nhật", count=digest.counts["nudge"]))
    if digest.counts.get("report_returned"):
        parts.append(gettext("%(count)s báo cáo bị trả lại", count=digest.counts["report_returned"]))
    prefix = current_app.config["MAIL_SUBJECT_PREFIX"]
    return f"{prefix} " + gettext("Nhắc việc ngày %(date)s: %(what)s", date=vn_date(today), what=", ".join(parts))


def render_digest(digest: Digest, user, today: date) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a person's digest, in the person's language."""
    with force_locale(getattr(user, "language", None) or "vi"):
        return _render_digest(digest, user, today)


def _render_digest(digest: Digest, user, today: date) -> tuple[str, str, str]:
    base = current_app.config["BASE_URL"].rstrip("/")
    sections = [
        {"rule": rule, "label": vocab(RULE_LABELS[rule]), "count": digest.counts[rule],
         "entries": [(summary, base + path) for summary, path in digest.items[rule]],
         "more": digest.counts[rule] - len(digest.items[rule]), "more_link": base + MORE_LINKS[rule]}
        for rule in RULES if digest.counts.get(rule)
    ]
    context = {"user": user, "today": today, "sections": sections, "base": base,
               "profile": base + "/profile"}
    return (subject_for(digest, today), render_template("email/digest.txt", **context),
            render_template("email/digest.html", **context))


def new_message_id() -> str:
    """A Message-ID made once, when the message is queued, and reused on every retry."""
    return make_msgid(domain=current_app.config["MAIL_DOMAIN"])
