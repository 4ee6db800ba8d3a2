"""Forms for updating a line, commenting, moving a deadline and changing assignments."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import choices as _choices
from ..plan.models import ROLE_LABELS
from .models import STATUS_LABELS


class LineUpdateForm(FlaskForm):
    """An executing body's update of its own line."""

    status = SelectField("Trạng thái", choices=_choices("— chọn —", STATUS_LABELS)[1:], validators=[InputRequired()])
    progress = IntegerField("Tiến độ (%)", validators=[InputRequired("Nhập tiến độ từ 0 đến 100."),
                                                       NumberRange(0, 100, "Tiến độ từ 0 đến 100%%.")])
    note = TextAreaField("Ghi chú", validators=[Optional(), Length(max=5000)])
    paused_reason = StringField("Lý do tạm dừng", validators=[Optional(), Length(max=1000)])
    completed_on = DateField("Ngày hoàn thành", validators=[Optional()])
    version = HiddenField(validators=[InputRequired()])
    attachments = MultipleFileField("Tệp đính kèm (PDF, DOCX, XLSX, ảnh)")

    def expected_version(self) -> int | None:
        """The version the form was loaded at, or None when tampered with."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class CommentForm(FlaskForm):
    """A comment by any body named on the task."""

    body = TextAreaField("Ý kiến", validators=[DataRequired("Nhập nội dung ý kiến."), Length(max=5000)])


class DeadlineForm(FlaskForm):
    """The office moves a deadline, with a reason."""

    due_on = DateField("Hạn mới", validators=[InputRequired("Chọn hạn mới.")])
    reason = StringField("Lý do", validators=[DataRequired("Đổi hạn cần nêu lý do."), Length(max=1000)])


class AssignmentForm(FlaskForm):
    """The office names an agency on a task."""

    agency = StringField("Cơ quan (tên hoặc tên viết tắt)", validators=[DataRequired("Nhập tên cơ quan."),
                                                                         Length(max=200)])
    role = SelectField("Vai trò", choices=_choices("", ROLE_LABELS)[1:], validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that only need CSRF protection."""
