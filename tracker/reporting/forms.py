"""Forms: submit a report, send one back, open an ad-hoc round, change the quarterly policy."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, VietnameseDateField, WholeNumberField


class SubmitForm(Form):
    """A body's report: text and files."""

    body = TextAreaField(_l("Nội dung báo cáo"), validators=[DataRequired(_l("Nhập nội dung báo cáo.")), Length(max=20000)])
    attachments = MultipleFileField(_l("Tệp báo cáo (PDF, DOCX, XLSX, ảnh)"))


class ReturnForm(Form):
    """The office sends a report back."""

    reason = StringField(_l("Lý do trả lại"), validators=[DataRequired(_l("Trả lại cần nêu lý do.")), Length(max=1000)])


class AdhocRoundForm(Form):
    """An ad-hoc round: what, by when, from whom."""

    title = StringField(_l("Tên kỳ báo cáo"), validators=[DataRequired(_l("Nhập tên kỳ báo cáo.")), Length(max=300)])
    due_on = VietnameseDateField(_l("Hạn nộp"), validators=[InputRequired(_l("Nhập hạn nộp, dạng dd/mm/yyyy."))])
    bodies = TextAreaField(_l("Cơ quan phải nộp (mỗi dòng một tên hoặc tên viết tắt; nhóm được mở rộng)"),
                           validators=[DataRequired(_l("Nhập ít nhất một cơ quan.")), Length(max=5000)])
    note = TextAreaField(_l("Yêu cầu"), validators=[Optional(), Length(max=5000)])


class PolicyForm(Form):
    """When quarterly reports are counted and due, and who owes them."""

    cutoff_day = WholeNumberField(_l("Ngày chốt số liệu (tháng cuối quý)"), validators=[InputRequired(), NumberRange(1, 31)])
    due_day = WholeNumberField(_l("Hạn nộp (ngày của tháng cuối quý)"), validators=[InputRequired(), NumberRange(1, 31)])
    levels = StringField(_l("Cấp phải nộp (department, district, province)"), validators=[DataRequired(), Length(max=100)])
