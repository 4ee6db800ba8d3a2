"""The office's reminder settings, and each user's choice of reminders."""
from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange

from ..forms import Form, WholeNumberField
from ..forms import choices as _choices
from ..clock import local_today
from .calendar import NoWorkingDay, WorkCalendar

WEEKDAYS = {"0": "Thứ Hai", "1": "Thứ Ba", "2": "Thứ Tư", "3": "Thứ Năm", "4": "Thứ Sáu"}


class SettingsForm(Form):
    """Rules' defaults the coordination office can change."""

    before_days = StringField("Nhắc trước hạn (số ngày, cách nhau dấu phẩy)", validators=[InputRequired(), Length(max=50)])
    overdue_notice = BooleanField("Gửi thông báo quá hạn ngày sau hạn")
    digest_weekday = SelectField("Ngày gửi tổng hợp quá hạn hằng tuần", choices=_choices("", WEEKDAYS)[1:])
    nudge_days = WholeNumberField("Nhắc cập nhật khi không cập nhật quá (ngày; 0: tắt)",
                              validators=[InputRequired(), NumberRange(0, 365)])
    catch_up_days = WholeNumberField("Gửi bù thông báo đã lỡ trong vòng (ngày)", validators=[InputRequired(), NumberRange(0, 90)])
    holidays = TextAreaField("Ngày nghỉ thêm ngoài các ngày lễ, Tết theo luật (mỗi dòng: MM-DD hằng năm, YYYY-MM-DD "
                             "một lần; +YYYY-MM-DD là ngày làm bù)", validators=[Length(max=5000)])

    def validate_before_days(self, field) -> None:
        parts = [p.strip() for p in field.data.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
            raise ValidationError("Nhập các số ngày từ 1 đến 90, ví dụ 7,3,1.")

    def validate_holidays(self, field) -> None:
        bad = WorkCalendar.invalid_lines(field.data)
        if bad:
            raise ValidationError(f"Không hiểu các dòng: {', '.join(bad[:5])}.")
        try:
            WorkCalendar.parse(field.data).check(local_today())
        except NoWorkingDay as exc:
            raise ValidationError(str(exc)) from exc


class PreferencesForm(Form):
    """Which reminders a user receives; fields are added per rule."""
