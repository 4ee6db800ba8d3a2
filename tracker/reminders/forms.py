"""The office's reminder settings, and each user's choice of reminders."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange

from ..i18n import N_, lazy_label
from ..forms import Form, WholeNumberField
from ..forms import choices as _choices
from ..clock import local_today
from .calendar import NoWorkingDay, WorkCalendar
from .models import RULE_LABELS, RULES

WEEKDAYS = {"0": N_("Thứ Hai"), "1": N_("Thứ Ba"), "2": N_("Thứ Tư"), "3": N_("Thứ Năm"), "4": N_("Thứ Sáu")}


class Tick(BooleanField):
    """A checkbox: ticked ("y") or not; a JSON body's true or false alike."""

    false_values = (False, "false", "False", "")
    api_schema = {"type": "boolean"}  # the API's JSON Schema of it (tracker/api/spec.py)


class SettingsForm(Form):
    """Rules' defaults the coordination office can change."""

    before_days = StringField(_l("Nhắc trước hạn (số ngày, cách nhau dấu phẩy)"), validators=[InputRequired(), Length(max=50)])
    overdue_notice = Tick(_l("Gửi thông báo quá hạn ngày sau hạn"))
    digest_weekday = SelectField(_l("Ngày gửi tổng hợp quá hạn hằng tuần"), choices=_choices("", WEEKDAYS)[1:])
    nudge_days = WholeNumberField(_l("Nhắc cập nhật khi không cập nhật quá (ngày; 0: tắt)"),
                              validators=[InputRequired(), NumberRange(0, 365)])
    catch_up_days = WholeNumberField(_l("Gửi bù thông báo đã lỡ trong vòng (ngày)"), validators=[InputRequired(), NumberRange(0, 90)])
    holidays = TextAreaField(_l("Ngày nghỉ thêm ngoài các ngày lễ, Tết theo luật (mỗi dòng: MM-DD hằng năm, YYYY-MM-DD "
                                "một lần; +YYYY-MM-DD là ngày làm bù)"), validators=[Length(max=5000)])

    def values(self) -> dict:
        """The settings as the operation takes them."""
        return {"before_days": self.before_days.data, "overdue_notice": bool(self.overdue_notice.data),
                "digest_weekday": int(self.digest_weekday.data), "nudge_days": self.nudge_days.data,
                "catch_up_days": self.catch_up_days.data, "holidays": self.holidays.data or ""}

    def validate_before_days(self, field) -> None:
        parts = [p.strip() for p in field.data.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
            raise ValidationError(_l("Nhập các số ngày từ 1 đến 90, ví dụ 7,3,1."))

    def validate_holidays(self, field) -> None:
        bad = WorkCalendar.invalid_lines(field.data)
        if bad:
            raise ValidationError(gettext("Không hiểu các dòng: %(lines)s.", lines=", ".join(bad[:5])))
        try:
            WorkCalendar.parse(field.data).check(local_today())
        except NoWorkingDay as exc:
            raise ValidationError(str(exc)) from exc


class SettingsApiForm(SettingsForm):
    """The same settings as a JSON body: the digest's weekday a number, 0 (Monday) to 4 (Friday)."""

    api_types = {"digest_weekday": {"type": "integer", "minimum": 0, "maximum": 4,
                                    "description": "0 Monday … 4 Friday"}}


class PreferencesForm(Form):
    """Which reminders a user receives: a tick per rule (one not ticked is turned off)."""

    def wanted(self) -> set[str]:
        """The rules ticked."""
        return {rule for rule in RULES if self[rule].data}


for _rule, _text in RULE_LABELS.items():
    setattr(PreferencesForm, _rule, Tick(lazy_label(_text)))
del _rule, _text
