"""Every change to what the downloads print: the office's letterhead (Decree 30/2020) for the quarterly report.

Each takes the acting user and shaped input, asks the policy, flushes and raises a DomainError; never commits
(tracker/operations.py).
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..auth.policy import require_office
from ..operations import Invalid, operation
from .letterhead import DEFAULTS, LENGTHS, LetterheadSettings, save_letterhead

# The fields a letterhead cannot print without (the others may stay blank).
REQUIRED = ("issuing_body", "symbol", "place", "recipients", "filing", "signer_title", "signer_name")


@operation(audited=True)
def set_letterhead(actor, values: dict[str, str]) -> LetterheadSettings:
    """The office sets who issues the quarterly report, its symbol and place, recipients, filing line and signatory."""
    require_office(actor)
    values = {name: (values.get(name) or "").strip() for name in DEFAULTS}
    errors = {name: _("Mục này bắt buộc.") for name in REQUIRED if not values[name]}
    errors.update({name: _("Không dài quá %(max)d ký tự.", max=LENGTHS[name])
                   for name, value in values.items() if len(value) > LENGTHS[name] and name not in errors})
    if errors:
        raise Invalid(errors)
    return save_letterhead(values)
