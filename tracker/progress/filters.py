"""The plan page's filters, shared by the page and the API: what to list, on which date, in what order."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import Length, NumberRange, Optional

from ..extensions import db
from ..forms import ApiForm, VietnameseDateField, WholeNumberField
from ..forms import choices as _choices
from ..i18n import lazy_label
from ..plan.models import ROLE_LABELS, Agency, Plan
from ..plan.services import TaskFilter, find_agency
from ..plan.timeline import KIND_LABELS
from .categories import CATEGORY_LABELS
from .listing import SORT_LABELS


def _strip(value):
    """" overdue " is "overdue", and a blank is no choice (Optional() lets blanks through unchecked)."""
    return value.strip() if isinstance(value, str) else value


class TaskFilterForm(ApiForm):
    """Filters read from the query string; bad values become field errors, never exceptions."""

    q = StringField(_l("Tìm kiếm"), validators=[Optional(), Length(max=200)])
    section = SelectField(_l("Mục"), validators=[Optional()], validate_choice=False, filters=[_strip])
    agency = StringField(_l("Cơ quan"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=_choices(_l("Mọi vai trò"), ROLE_LABELS), validators=[Optional()],
                       filters=[_strip])
    # "needs_date" picks the tasks flagged "Cần xác định hạn" (Task.needs_date), whatever their kind.
    kind = SelectField(_l("Loại thời hạn"), choices=[*_choices(_l("Mọi loại"), KIND_LABELS),
                                                     SelectChoice("needs_date", _l("Cần xác định hạn"))],
                       validators=[Optional()], filters=[_strip])
    category = SelectField(_l("Tình hình"), choices=_choices(_l("Mọi tình hình"), CATEGORY_LABELS), validators=[Optional()],
                           filters=[_strip])
    as_of = VietnameseDateField(_l("Tính đến ngày"), validators=[Optional()])
    sort = SelectField(_l("Sắp xếp"), choices=[SelectChoice(k, lazy_label(v)) for k, v in SORT_LABELS.items()], default="section",
                       validators=[Optional()], filters=[_strip])
    page = WholeNumberField("Trang", default=1, validators=[Optional(), NumberRange(1, 100_000, _l("Trang từ 1 đến 100000."))])

    def __init__(self, formdata, plan: Plan, **kwargs):
        super().__init__(formdata, **kwargs)
        self.plan = plan
        # Section titles are data: plain strings, so the template escapes them (never through gettext).
        self.section.choices = [SelectChoice("", _l("Mọi mục")),
                                *(SelectChoice(s.numeral, f"{s.numeral}. {s.title}") for s in plan.sections)]
        self.agency_obj: Agency | None = None

    def validate_section(self, field) -> None:
        if field.data and field.data not in {s.numeral for s in self.plan.sections}:
            raise ValidationError(gettext("Không có mục «%(section)s» trong kế hoạch.", section=field.data))

    def validate_agency(self, field) -> None:
        if not field.data:
            return
        value = field.data.strip()
        self.agency_obj = (db.session.get(Agency, int(value)) if value.isascii() and value.isdigit() and len(value) < 10
                           else find_agency(value))
        if self.agency_obj is None:
            raise ValidationError(gettext("Không tìm thấy cơ quan «%(name)s».", name=value))

    def filters(self) -> TaskFilter:
        """The checked filters; call after validate()."""
        return TaskFilter(section=self.section.data or None, agency=self.agency_obj,
                          role=self.role.data or None, kind=self.kind.data or None, q=self.q.data or "")
