"""Forms: submit a report, send one back, open an ad-hoc round, change the quarterly policy."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, IsoDateField, WholeNumberField


class SubmitForm(Form):
    """A body's report: text and files."""

    body = TextAreaField("Nội dung báo cáo", validators=[DataRequired("Nhập nội dung báo cáo."), Length(max=20000)])
    attachments = MultipleFileField("Tệp báo cáo (PDF, DOCX, XLSX, ảnh)")


class ReturnForm(Form):
    """The office sends a report back."""

    reason = StringField("Lý do trả lại", validators=[DataRequired("Trả lại cần nêu lý do."), Length(max=1000)])


class AdhocRoundForm(Form):
    """An ad-hoc round: what, by when, from whom."""

    title = StringField("Tên kỳ báo cáo", validators=[DataRequired("Nhập tên kỳ báo cáo."), Length(max=300)])
    due_on = IsoDateField("Hạn nộp", validators=[InputRequired("Chọn hạn nộp.")])
    bodies = TextAreaField("Cơ quan phải nộp (mỗi dòng một tên hoặc tên viết tắt; nhóm được mở rộng)",
                           validators=[DataRequired("Nhập ít nhất một cơ quan."), Length(max=5000)])
    note = TextAreaField("Yêu cầu", validators=[Optional(), Length(max=5000)])


class PolicyForm(Form):
    """When quarterly reports are counted and due, and who owes them."""

    cutoff_day = WholeNumberField("Ngày chốt số liệu (tháng cuối quý)", validators=[InputRequired(), NumberRange(1, 31)])
    due_day = WholeNumberField("Hạn nộp (ngày của tháng cuối quý)", validators=[InputRequired(), NumberRange(1, 31)])
    levels = StringField("Cấp phải nộp (department, district, province)", validators=[DataRequired(), Length(max=100)])
