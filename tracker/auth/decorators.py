"""View decorators over the policy: the check is named once and reads the same on every view."""
from __future__ import annotations

from functools import wraps

from flask_babel import gettext as _
from flask import abort
from flask_login import current_user

from .policy import is_office


def office_required(view):
    """Only the coordination office may open this page or post this form (403 otherwise)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_office(current_user):
            abort(403, description=_("Chỉ Văn phòng Điều phối thực hiện việc này."))
        return view(*args, **kwargs)

    return wrapped
