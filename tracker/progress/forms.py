"""Forms for updating a line, commenting, moving a deadline and changing assignments."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, VietnameseDateField, WholeNumberField
from ..forms import choices as _choices
from ..plan.models import ROLE_LABELS
from .models import STATUS_LABELS
from .services import LineChange


class LineUpdateForm(Form):
    """An executing body's update of its own line: the one schema of this operation, for the page and the API."""

    status = SelectField(_l("Trạng thái"), choices=_choices(_l("— chọn —"), STATUS_LABELS)[1:],
                         validators=[InputRequired(_l("Chọn trạng thái."))])
    progress = WholeNumberField(_l("Tiến độ (%)"), validators=[InputRequired(_l("Nhập tiến độ từ 0 đến 100.")),
                                                       NumberRange(0, 100, _l("Tiến độ từ 0 đến 100%%."))])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=5000)])
    paused_reason = StringField(_l("Lý do tạm dừng"), validators=[Optional(), Length(max=1000)])
    completed_on = VietnameseDateField(_l("Ngày hoàn thành"), validators=[Optional()])
    version = HiddenField(validators=[InputRequired(_l("Thiếu phiên bản của dòng; tải lại trang."))])
    attachments = MultipleFileField(_l("Tệp đính kèm (PDF, DOCX, XLSX, ảnh)"))
    # In the API the version is the number GET /lines/{id} gave (the page carries it as hidden text).
    api_types = {"version": {"type": "integer", "minimum": 0, "maximum": 999_999_999,
                             "description": "The line's version as last read."}}

    def validate_version(self, field) -> None:
        if self.expected_version() is None:
            raise ValidationError(_l("Phiên bản của dòng không hợp lệ; tải lại trang."))

    def expected_version(self) -> int | None:
        """The version the form was loaded at, or None when tampered with."""
        raw = self.version.data
        return int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 10 else None

    def change(self) -> LineChange:
        """What the body submits, for the service to check against the line and apply."""
        return LineChange(self.status.data, self.progress.data, self.note.data or "", self.paused_reason.data or "",
                          self.completed_on.data)


class LineUpdateApiForm(LineUpdateForm):
    """The same update posted as JSON, which also names the agency whose line it is."""

    agency = StringField(_l("Cơ quan"), validators=[InputRequired(_l("Nhập tên cơ quan (hoặc tên viết tắt).")),
                                                Length(max=200)])


class AttachmentsForm(Form):
    """Files added to a line on their own (the API's multipart upload)."""

    attachments = MultipleFileField(_l("Tệp đính kèm (PDF, DOCX, XLSX, ảnh)"),
                                    validators=[InputRequired(_l("Chọn ít nhất một tệp."))])


class CommentForm(Form):
    """A comment by any body named on the task."""

    body = TextAreaField(_l("Ý kiến"), validators=[DataRequired(_l("Nhập nội dung ý kiến.")), Length(max=5000)])


class DeadlineForm(Form):
    """The office moves a deadline, with a reason."""

    due_on = VietnameseDateField(_l("Hạn mới"), validators=[InputRequired(_l("Nhập hạn mới, dạng dd/mm/yyyy."))])
    reason = StringField(_l("Lý do"), validators=[DataRequired(_l("Đổi hạn cần nêu lý do.")), Length(max=1000)])


class AssignmentForm(Form):
    """The office names an agency on a task."""

    agency = StringField(_l("Cơ quan (tên hoặc tên viết tắt)"), validators=[DataRequired(_l("Nhập tên cơ quan.")),
                                                                         Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=_choices("", ROLE_LABELS)[1:], validators=[InputRequired()])


class ConfirmForm(Form):
    """A bare form for buttons that only need CSRF protection."""
